#include "videocontrol/media.hpp"

#include <fmt/format.h>

#include "../auth/digest.hpp"
#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "json_render.hpp"
#include "validation.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/pipeline.hpp"
#include "../pipeline/archive.hpp"
#include "../pipeline/derived_store.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cctype>
#include <cerrno>

#include <sys/stat.h>

namespace vc {

std::string media_namespace(std::string_view organization_id) { return fmt::format("media:{}", organization_id); }

namespace {

Error media_not_found(std::string_view id) { return make_error(ErrorCode::not_found, fmt::format("media '{}' not found", id)); }

Result<Media> load_visible_media(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto m, s.media().find(id));
  if (!m || !can_see(actor, m->organization_id)) return media_not_found(id);
  return std::move(*m);
}

// The media of a device's file, for any role of the device's organisation (others get not_found).
Result<Media> readable_file_media(const ServiceContext& ctx, const Actor& actor, std::string_view device_id,
                                  std::string_view name) {
  return read_value<Media>(ctx.storage, [&](StorageSession& s) -> Result<Media> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::read));  // after the tenancy check: others get 404
    VC_ASSIGN(auto file, s.media().find_file(d.id, name));
    if (!file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", device_id, name));
    return std::move(file->media);
  });
}

Error over_quota(const Organization& org, std::int64_t used, std::int64_t adding, std::int64_t limit) {
  return make_error(ErrorCode::quota,
                    fmt::format("storage quota exceeded: organization '{}' uses {} of {} bytes (plan {}) and this "
                                "upload needs {} more; delete media or upgrade the plan",
                                org.slug, used, limit, org.plan, adding));
}

// Deletes a media row and drops its blob reference; returns the hash when the bytes must go.
// `placeholder_of`: the devices (public ids) whose idle content it was; they fall back to none.
Result<std::optional<std::string>> delete_media(StorageSession& s, const Media& m,
                                                std::vector<std::string>& placeholder_of) {
  VC_ASSIGN(placeholder_of, s.devices().with_placeholder(m.id));
  VC_TRY(s.devices().clear_placeholder_for(m.id));
  VC_TRY(s.scheduling().remove_items_of(m.id));  // playlist items (MediaLibrary::remove refuses unless forced)
  VC_TRY(s.media().remove(m.id));
  VC_ASSIGN(bool last, s.blobs().release(m.blob_hash));
  return last ? std::optional<std::string>(m.blob_hash) : std::nullopt;
}

}  // namespace

std::string MediaLibrary::to_json(const Media& media) { return json::media(media); }
std::string MediaLibrary::to_json(const DeviceFile& file, std::string_view device_id) { return json::file(file, device_id); }

Result<void> MediaLibrary::check_upload(const Actor& actor, std::string_view device_id, std::optional<std::int64_t> bytes) {
  return ctx_.storage.read([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    if (!bytes) return {};
    VC_ASSIGN(auto org, s.organizations().find(d.organization_id));
    if (!org) return make_error(ErrorCode::not_found, "organization not found");
    VC_ASSIGN(auto used, s.organizations().storage_bytes(org->id));
    // The body's length is an upper bound of the files in it (deduplication may need less).
    if (auto limit = effective_limits(*org).storage_bytes; limit && used + *bytes > *limit)
      return over_quota(*org, used, *bytes, *limit);
    return {};
  });
}

Result<std::unique_ptr<BlobWriter>> MediaLibrary::begin_upload(const Actor& actor, std::uint64_t max_bytes) {
  VC_TRY(require(actor, Permission::manage_content));
  return ctx_.blobs.create(std::min<std::uint64_t>(max_bytes, ctx_.options.max_upload_bytes));
}

Result<UploadResult> MediaLibrary::add_upload(const Actor& actor, std::string_view device_id, std::string_view raw_name,
                                              BlobWriter& writer, const BlobInfo& info) {
  VC_ASSIGN(auto name, sanitize_file_name(raw_name));
  VC_ASSIGN(auto sniffed, sniff_media(info.head, name));
  const auto now = ctx_.now_ms();
  Media fresh;
  fresh.id = new_id(*ctx_.clock);
  fresh.name = name;
  fresh.kind = sniffed.kind;
  fresh.mime = sniffed.mime;
  fresh.size = info.size;
  fresh.blob_hash = info.hash;
  fresh.created_by = actor.id;
  fresh.created_at_ms = fresh.updated_at_ms = now;
  if (ctx_.options.process_media) {  // the content pipeline makes it ready (pipeline.hpp)
    fresh.status = "processing";
    fresh.progress = 0;
  }
  // An object store sends the bytes now, before the transaction (whose commit() then only checks
  // they are still there); should the transaction fail, they are collected again below.
  VC_ASSIGN(bool placed_bytes, writer.stage());  // true: this attempt put the bytes into the store
  std::string org_id;
  auto r = write_value<UploadResult>(ctx_.storage, [&](StorageSession& s) -> Result<UploadResult> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org_id = d.organization_id;
    VC_TRY(s.organizations().lock(org_id));
    UploadResult out;
    VC_ASSIGN(auto existing, s.media().find_by_hash(org_id, info.hash));
    if (existing) {
      out.deduplicated = true;
      out.file.media = std::move(*existing);
    } else {
      VC_ASSIGN(auto org, s.organizations().find(org_id));
      if (!org) return make_error(ErrorCode::not_found, "organization not found");
      VC_ASSIGN(auto used, s.organizations().storage_bytes(org_id));
      if (auto limit = effective_limits(*org).storage_bytes; limit && used + info.size > *limit)
        return over_quota(*org, used, info.size, *limit);
      // The reference, then the bytes, both under the blob's lock: a concurrent collection of the
      // same bytes (another organisation deleting its copy) either ran before, and the bytes are
      // stored anew here, or sees this reference once it is committed. Should this transaction
      // fail, the bytes are collected again below; a crash leaves an unreferenced file for the
      // sweeper, never a row without bytes.
      VC_TRY(s.blobs().lock(info.hash));
      VC_TRY(s.blobs().add_ref(info.hash, info.size, now));
      VC_TRY(writer.commit());
      placed_bytes = true;
      fresh.organization_id = org_id;
      VC_TRY(s.media().insert(fresh));
      out.file.media = fresh;
      if (ctx_.options.process_media) {
        // In the same transaction: a committed upload always has its job (nothing is lost on a crash).
        Job job;
        job.id = new_id(*ctx_.clock);
        job.organization_id = org_id;
        job.kind = std::string(ContentPipeline::kJobKind);
        job.payload_json = JsonWriter().begin_object().key("media_id").value(fresh.id).end_object().str();
        job.created_at_ms = job.updated_at_ms = job.run_after_ms = now;
        VC_TRY(s.jobs().insert(job));
      }
    }
    out.file.name = name;
    VC_TRY(s.media().link(d.id, out.file.media.id, name, now));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "media.upload", "media", out.file.media.id, org_id,
                                        JsonWriter().begin_object().key("device_id").value(d.device_id)
                                            .key("size").value(info.size).key("deduplicated").value(out.deduplicated)
                                            .end_object().str())));
    return out;
  });
  if (!r) {
    if (placed_bytes) collect_blobs(ctx_, {info.hash});  // unless another row references the same bytes
    return r;
  }
  ctx_.cache.bump(media_namespace(org_id));
  ctx_.cache.bump(devices_namespace(org_id));
  ctx_.publish(domain_event(EventKind::media_added, org_id, std::string(device_id), r->file.media.id, r->file.name), actor);
  return r;
}

Result<UploadResult> MediaLibrary::add_folder_upload(const Actor& actor, std::string_view device_id,
                                                    std::string_view folder_name, const std::vector<FolderFile>& files) {
  VC_TRY(check_upload(actor, device_id, std::nullopt));
  VC_ASSIGN(auto name, sanitize_file_name(folder_name));
  if (auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) {
    std::string ext = name.substr(dot + 1);
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != "zip") name += ".zip";
  }
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& f : files) {
    VC_ASSIGN(auto path, pipeline::check_entry_name(f.path));
    if (!f.writer || pipeline::is_archive_junk(path)) continue;
    auto kind = sniff_media(f.info.head, path);
    if (!kind || kind->kind != MediaKind::image) continue;  // a folder shows its images only
    const std::string source = f.writer->temporary_path();
    if (source.empty()) return make_error(ErrorCode::unavailable, "this blob store cannot pack folders");
    entries.emplace_back(std::move(path), source);
  }
  if (entries.empty())
    return make_error(ErrorCode::invalid,
                      fmt::format("folder '{}' holds no images (PNG, JPEG, GIF, WebP)", name));
  VC_ASSIGN(auto writer, ctx_.blobs.create(ctx_.options.max_upload_bytes));
  const std::string zip_path = writer->temporary_path() + ".zip.part";  // swept as a leftover after a crash
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove_zip{zip_path};
  VC_TRY(pipeline::write_zip(zip_path, entries));
  {
    const int fd = ::open(zip_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::unavailable, "cannot read the packed folder back");
    std::string buf(1 << 20, '\0');
    Result<void> copied;
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      copied = writer->write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      if (!copied) break;
    }
    ::close(fd);
    VC_TRY(copied);
  }
  VC_ASSIGN(auto info, writer->finish());
  return add_upload(actor, device_id, name, *writer, info);
}

Result<BlobSweepReport> MediaLibrary::sweep_blobs(const Actor& actor, std::chrono::seconds min_age) {
  if (!actor.is_system()) return make_error(ErrorCode::forbidden, "only the installation itself may sweep the blob store");
  VC_ASSIGN(auto stored, ctx_.blobs.list());
  BlobSweepReport report;
  report.scanned = static_cast<std::int64_t>(stored.size());
  // File times are wall-clock times, whatever clock the services run on.
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const auto cutoff = now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(min_age).count();
  std::vector<const StoredBlob*> unreferenced;
  // One read transaction finds the candidates; each is then collected under its lock, which checks again.
  VC_TRY(ctx_.storage.read([&](StorageSession& s) -> Result<void> {
    for (const auto& b : stored) {
      if (b.mtime_ms > cutoff) {
        ++report.young;
        continue;
      }
      VC_ASSIGN(auto refs, s.blobs().refcount(b.hash));
      if (refs == 0) unreferenced.push_back(&b);
    }
    return {};
  }));
  for (const StoredBlob* b : unreferenced) {
    auto removed = collect_blob(ctx_, b->hash);
    if (!removed) {
      ++report.failed;
      log_warn("blob sweep: cannot remove an unreferenced blob",
               {{"hash", b->hash}, {"error", removed.error().message}});
    } else if (*removed) {
      ++report.removed;
      report.bytes_removed += b->size;
    }
  }
  if (report.removed > 0 || report.failed > 0)
    log_info("blob sweep: removed unreferenced media bytes",
             {{"scanned", report.scanned}, {"removed", report.removed}, {"bytes", report.bytes_removed},
              {"failed", report.failed}});
  return report;
}

Result<bool> collect_blob(const ServiceContext& ctx, std::string_view hash) {
  bool removed = false;
  VC_TRY(ctx.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.blobs().lock(hash));
    VC_ASSIGN(auto refs, s.blobs().refcount(hash));
    if (refs > 0) return {};
    VC_TRY(ctx.blobs.remove(hash));
    removed = true;
    // What the pipeline made from these bytes goes with them.
    if (!ctx.options.derived_dir.empty())
      if (auto r = pipeline::DerivedStore(ctx.options.derived_dir).remove_all(hash); !r)
        log_warn("cannot delete derived files", {{"hash", std::string(hash)}, {"error", r.error().message}});
    return {};
  }));
  return removed;
}

void collect_blobs(const ServiceContext& ctx, const std::vector<std::string>& hashes) {
  for (const auto& h : hashes)
    if (auto r = collect_blob(ctx, h); !r)
      log_warn("cannot delete unreferenced media bytes; the next blob sweep will", {{"hash", h}, {"error", r.error().message}});
}

Result<Media> MediaLibrary::get(const Actor& actor, std::string_view media_id) {
  return read_value<Media>(ctx_.storage, [&](StorageSession& s) -> Result<Media> {
    VC_ASSIGN(auto m, load_visible_media(s, actor, media_id));
    VC_TRY(require(actor, Permission::read));
    return m;
  });
}

Result<Page<Media>> MediaLibrary::list(const Actor& actor, const PageRequest& page, std::string_view kind) {
  VC_TRY(require(actor, Permission::read));
  VC_TRY(validate_page(page));
  if (actor.organization_id.empty()) return Page<Media>{};
  return read_value<Page<Media>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<Media>> {
    VC_ASSIGN(auto rows, s.media().list(actor.organization_id, kind, page.cursor, page.limit + 1));
    return make_page(std::move(rows), page.limit);
  });
}

Result<std::string> MediaLibrary::list_json(const Actor& actor, const PageRequest& page, std::string_view kind) {
  VC_TRY(require(actor, Permission::read));
  const auto gen = ctx_.cache.generation(media_namespace(actor.organization_id));
  const auto key = fmt::format("media:{}:g{}:{}:{}:{}", actor.organization_id, gen, kind, page.cursor, page.limit);
  if (auto hit = ctx_.cache.get(key)) return std::move(*hit);
  VC_ASSIGN(auto p, list(actor, page, kind));
  std::string body = json::media_page(p);
  ctx_.cache.put(key, body, kMediaListTtl);
  return body;
}

namespace {

Result<void> validate_filter(const FileFilter& f) {
  if (f.contains.size() > 200) return make_error(ErrorCode::invalid, "q is too long: at most 200 bytes");
  if (!f.kind.empty() && !parse_media_kind(f.kind))
    return make_error(ErrorCode::invalid, "kind must be one of video, audio, image, pdf, pptx, zip, document");
  return {};
}

}  // namespace

Result<Page<DeviceFile>> MediaLibrary::files(const Actor& actor, std::string_view device_id, const PageRequest& page,
                                             const FileFilter& filter) {
  VC_TRY(validate_page(page));
  VC_TRY(validate_filter(filter));
  return read_value<Page<DeviceFile>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<DeviceFile>> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::read));  // after the tenancy check: others get 404
    VC_ASSIGN(auto rows, s.media().files(d.id, page.cursor, page.limit + 1, filter));
    Page<DeviceFile> out;
    if (static_cast<int>(rows.size()) > page.limit) {
      rows.resize(static_cast<std::size_t>(page.limit));
      out.next_cursor = rows.back().name;
    }
    out.items = std::move(rows);
    return out;
  });
}

Result<std::string> MediaLibrary::files_json(const Actor& actor, std::string_view device_id, const PageRequest& page,
                                             const FileFilter& filter) {
  VC_TRY(require(actor, Permission::read));
  VC_TRY(validate_filter(filter));
  const auto gen = ctx_.cache.generation(media_namespace(actor.organization_id));
  // The filter text is hashed into the key: any bytes, bounded length.
  const auto key = fmt::format("files:{}:g{}:{}:{}:{}:{}:{}", actor.organization_id, gen, device_id, page.cursor,
                               page.limit, filter.kind, filter.contains.empty() ? "" : sha256_hex(filter.contains));
  if (!actor.organization_id.empty())
    if (auto hit = ctx_.cache.get(key)) return std::move(*hit);
  VC_ASSIGN(auto p, files(actor, device_id, page, filter));
  std::string body = json::file_page(p, device_id);
  if (!actor.organization_id.empty()) ctx_.cache.put(key, body, kMediaListTtl);
  return body;
}

Result<Media> MediaLibrary::rename(const Actor& actor, std::string_view media_id, std::string_view name) {
  VC_ASSIGN(auto clean, sanitize_file_name(name));
  std::string org;
  auto r = write_value<Media>(ctx_.storage, [&](StorageSession& s) -> Result<Media> {
    VC_ASSIGN(auto m, load_visible_media(s, actor, media_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = m.organization_id;
    m.name = clean;
    m.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.media().update(m));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "media.rename", "media", m.id, org)));
    return m;
  });
  if (!r) return r;
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::media_renamed, org, {}, r->id, r->name), actor);
  return r;
}

Result<void> MediaLibrary::remove(const Actor& actor, std::string_view media_id, bool force) {
  std::string org;
  std::optional<std::string> freed;
  std::vector<std::string> placeholder_of;
  std::vector<std::pair<std::string, std::string>> used_by;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto m, load_visible_media(s, actor, media_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = m.organization_id;
    VC_ASSIGN(used_by, s.scheduling().playlists_using(m.id));
    if (!used_by.empty() && !force) {
      std::string names;
      for (const auto& [id, name] : used_by) names += (names.empty() ? "'" : ", '") + name + "' (" + id + ")";
      return make_error(ErrorCode::conflict, fmt::format("media item '{}' is used by the playlist(s) {}; remove it from "
                                                         "them first, or delete with force to remove it from them too",
                                                         m.name, names));
    }
    VC_ASSIGN(freed, delete_media(s, m, placeholder_of));
    return s.audit().append(audit_entry(ctx_, actor, "media.delete", "media", m.id, org));
  }));
  if (freed) collect_blobs(ctx_, {*freed});
  ctx_.cache.bump(media_namespace(org));
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::media_deleted, org, {}, std::string(media_id)), actor);
  if (!placeholder_of.empty())
    ctx_.publish(domain_event(EventKind::placeholder_changed, org, {}, {}, {}, placeholder_of), actor);
  // Forced: the playlists lost an item (schedule editors and the engines reload them).
  for (const auto& [id, name] : used_by)
    ctx_.publish(domain_event(EventKind::schedule_changed, org, {}, id, "playlist"), actor);
  return {};
}

Result<DeviceFile> MediaLibrary::link(const Actor& actor, std::string_view media_id, std::string_view device_id,
                                      std::string_view name) {
  std::string org;
  auto r = write_value<DeviceFile>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceFile> {
    VC_ASSIGN(auto m, load_visible_media(s, actor, media_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    if (d.organization_id != m.organization_id) return media_not_found(media_id);
    org = d.organization_id;
    VC_ASSIGN(auto clean, sanitize_file_name(name.empty() ? std::string_view(m.name) : name));
    VC_TRY(s.media().link(d.id, m.id, clean, ctx_.now_ms()));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "media.link", "media", m.id, org,
                                        JsonWriter().begin_object().key("device_id").value(d.device_id).end_object().str())));
    return DeviceFile{clean, m};
  });
  if (!r) return r;
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::media_linked, org, std::string(device_id), r->media.id, r->name), actor);
  return r;
}

Result<DeviceFile> MediaLibrary::move(const Actor& actor, std::string_view from_device, std::string_view name,
                                      std::string_view to_device) {
  std::string org;
  auto r = write_value<DeviceFile>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceFile> {
    VC_ASSIGN(auto from, load_visible_device(s, actor, from_device));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    VC_ASSIGN(auto to, load_visible_device(s, actor, to_device));
    if (from.organization_id != to.organization_id) return make_error(ErrorCode::not_found, "device not found");
    org = from.organization_id;
    VC_ASSIGN(auto file, s.media().find_file(from.id, name));
    if (!file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", from_device, name));
    VC_TRY(s.media().link(to.id, file->media.id, file->name, ctx_.now_ms()));
    if (from.id != to.id) VC_TRY(s.media().unlink(from.id, file->name));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "media.move", "media", file->media.id, org,
                                        JsonWriter().begin_object().key("from").value(from.device_id).key("to").value(to.device_id).end_object().str())));
    return std::move(*file);
  });
  if (!r) return r;
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::media_moved, org, std::string(to_device), r->media.id, r->name,
                            {std::string(from_device)}),
               actor);
  return r;
}

Result<DeviceFile> MediaLibrary::rename_file(const Actor& actor, std::string_view device_id, std::string_view name,
                                             std::string_view new_name) {
  VC_ASSIGN(auto clean, sanitize_file_name(new_name));
  std::string org;
  auto r = write_value<DeviceFile>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceFile> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    VC_ASSIGN(auto file, s.media().find_file(d.id, name));
    if (!file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", device_id, name));
    if (clean == file->name) return std::move(*file);
    VC_ASSIGN(auto taken, s.media().find_file(d.id, clean));
    if (taken)
      return make_error(ErrorCode::conflict, fmt::format("device '{}' already has a file '{}'; rename or remove it first",
                                                         device_id, clean));
    VC_TRY(s.media().link(d.id, file->media.id, clean, ctx_.now_ms()));
    VC_TRY(s.media().unlink(d.id, file->name));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "media.rename_file", "media", file->media.id, org,
                                        JsonWriter().begin_object().key("device_id").value(d.device_id)
                                            .key("from").value(file->name).key("to").value(clean).end_object().str())));
    file->name = clean;
    return std::move(*file);
  });
  if (!r) return r;
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::media_renamed, org, std::string(device_id), r->media.id, r->name), actor);
  return r;
}

Result<void> MediaLibrary::unlink(const Actor& actor, std::string_view device_id, std::string_view name) {
  std::string org, media_id;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    VC_ASSIGN(auto file, s.media().find_file(d.id, name));
    if (!file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", device_id, name));
    VC_TRY(s.media().unlink(d.id, name));
    media_id = file->media.id;
    return s.audit().append(audit_entry(ctx_, actor, "media.unlink", "media", file->media.id, org,
                                        JsonWriter().begin_object().key("device_id").value(d.device_id).end_object().str()));
  }));
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::media_unlinked, org, std::string(device_id), media_id, std::string(name)), actor);
  return {};
}

Result<MediaContent> MediaLibrary::open(const Actor& actor, std::string_view media_id) {
  VC_ASSIGN(auto m, get(actor, media_id));
  VC_ASSIGN(auto blob, ctx_.blobs.locate_for_delivery(m.blob_hash, {std::string(content_type_for(m.mime)), m.size}));
  return MediaContent{std::move(m), std::move(blob)};
}

Result<MediaContent> MediaLibrary::open_file(const Actor& actor, std::string_view device_id, std::string_view name) {
  VC_ASSIGN(auto m, readable_file_media(ctx_, actor, device_id, name));
  VC_ASSIGN(auto blob, ctx_.blobs.locate_for_delivery(m.blob_hash, {std::string(content_type_for(m.mime)), m.size}));
  return MediaContent{std::move(m), std::move(blob)};
}

Result<DerivedContent> locate_derived(const ServiceContext& ctx, const Media& m, std::string_view name,
                                      DerivedPart part, int n) {
  if (m.derived.empty() || ctx.options.derived_dir.empty()) {
    if (m.status == "processing")
      return make_error(ErrorCode::not_found, fmt::format("'{}' is still being processed ({}%)", name, m.progress));
    if (m.status == "error")
      return make_error(ErrorCode::not_found, fmt::format("'{}' could not be processed: {}", name, m.error));
    return make_error(ErrorCode::not_found,
                      fmt::format("'{}' has not been processed; process it again to make its pages and thumbnail", name));
  }
  const pipeline::DerivedStore store(ctx.options.derived_dir);
  DerivedContent out;
  std::vector<std::string> candidates;
  switch (part) {
    case DerivedPart::thumbnail:
      candidates = {"thumb.jpg"};
      out.mime = "image/jpeg";
      break;
    case DerivedPart::rendition:
      candidates = {"rendition.mp4"};
      out.mime = "video/mp4";
      break;
    case DerivedPart::page: {
      const bool folder = m.kind == MediaKind::zip;
      if (!folder && m.kind != MediaKind::pdf && m.kind != MediaKind::pptx && m.kind != MediaKind::document)
        return make_error(ErrorCode::not_found, fmt::format("'{}' is a {} file; it has no pages", name, to_string(m.kind)));
      const int count = m.page_count.value_or(0);
      if (n < 1 || n > count)
        return make_error(ErrorCode::not_found, fmt::format("'{}' has no {} {}: it has {} (numbered from 1)", name,
                                                            folder ? "image" : "page", n, count));
      if (folder) {
        for (const char* ext : {"png", "jpg", "gif", "webp"}) candidates.push_back(fmt::format("{:06}.{}", n, ext));
      } else {
        candidates = {fmt::format("{:06}.png", n)};
        out.mime = "image/png";
      }
      break;
    }
  }
  for (const auto& file : candidates) {
    auto path = store.file(m.blob_hash, m.derived, file);
    if (!path) continue;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) continue;
    out.path = std::move(*path);
    out.size = static_cast<std::int64_t>(st.st_size);
    out.mtime_ms = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    if (out.mime.empty()) {
      const auto ext = file.substr(file.rfind('.') + 1);
      out.mime = ext == "jpg" ? "image/jpeg" : "image/" + ext;
    }
    out.etag = fmt::format("\"{}-{}-{}\"", m.blob_hash.substr(0, 16), m.derived, file);
    out.media = m;
    return out;
  }
  return make_error(ErrorCode::not_found, fmt::format("'{}' has no {}", name,
                                                      part == DerivedPart::thumbnail ? "thumbnail"
                                                      : part == DerivedPart::rendition ? "rendition"
                                                                                        : "such page"));
}

std::optional<BlobFile> rendition_of(const ServiceContext& ctx, const Media& m) {
  if (m.kind != MediaKind::video || m.derived.empty()) return std::nullopt;
  auto d = locate_derived(ctx, m, m.name, DerivedPart::rendition, 0);
  if (!d) return std::nullopt;
  return BlobFile{d->path, d->size, d->mtime_ms, {}};
}

Result<DerivedContent> MediaLibrary::derived(const Actor& actor, std::string_view device_id, std::string_view name,
                                             DerivedPart part, int n) {
  VC_ASSIGN(auto m, readable_file_media(ctx_, actor, device_id, name));
  return locate_derived(ctx_, m, name, part, n);
}

}  // namespace vc
