// Media: streamed multipart uploads to a device, the organisation's media library, the files each
// device offers, and the bytes themselves (Range, conditional requests). Every rule — roles,
// tenancy, quota, content sniffing, name sanitising, deduplication — is the library's
// (vc::MediaLibrary); this file moves bytes and JSON.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api_request.hpp"
#include "auth_middleware.hpp"
#include "file_response.hpp"
#include "videocontrol/pipeline.hpp"
#include "json.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/protocol/multipart.hpp"

namespace vc::server {
namespace {

// The cap on a whole upload request; each file is limited by MAX_UPLOAD_BYTES (the BlobWriter).
constexpr std::uint64_t kMaxUploadRequestBytes = 64ull << 30;
// Files in one request: each holds an open temporary file until the request ends.
constexpr std::size_t kMaxFilesPerRequest = 100;
// A directory upload's files are closed once written (no descriptor each), so more may come at once.
constexpr std::size_t kMaxFolderFilesPerRequest = 2000;
constexpr std::string_view kFilesField = "files";

// A device file's JSON plus whether the organisation already had its bytes.
std::string upload_json(const UploadResult& r) {
  std::string s = MediaLibrary::to_json(r.file);
  s.pop_back();  // the closing brace of the object
  s += r.deduplicated ? R"(,"deduplicated":true})" : R"(,"deduplicated":false})";
  return s;
}

std::optional<std::int64_t> content_length(const Request& req) {
  const std::string_view v = req.header("content-length");
  if (v.empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

// "folder/file.png" or "folder/sub/file.png": what a browser sends for a directory's files. No
// empty, "." or ".." component, no backslash, not absolute.
bool is_relative_path(std::string_view name) {
  if (name.find('/') == std::string_view::npos || name.find('\\') != std::string_view::npos) return false;
  std::size_t start = 0;
  for (;;) {
    const auto end = name.find('/', start);
    const auto part = name.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

Error with_file_name(const Error& e, std::string_view raw_name) {
  Error out = e;
  out.message = fmt::format("file '{}': {}", raw_name, e.message);
  return out;
}

// Takes a multipart/form-data body as it streams in. Each part named "files" with a file name goes
// to its own BlobWriter (a temporary file, hashed while written); when the part ends its name and
// content type are checked, so a bad file fails the request at once. The files are stored (rows
// committed) only when the whole body has arrived, so a request that is dropped or refused while
// streaming leaves nothing: destroying the sink destroys the writers, which delete their temporary
// files. Storing is per file: if one is refused then (the quota, when the body had no
// Content-Length), the files before it stay stored and the error names the file.
class UploadSink final : public BodySink {
 public:
  UploadSink(ServerContext& ctx, Actor actor, std::string device_id, std::string boundary)
      : ctx_(ctx),
        actor_(std::move(actor)),
        device_id_(std::move(device_id)),
        parser_(std::move(boundary), MultipartParser::Callbacks{
                                         [this](const MultipartPartHeaders& h) { return on_part_begin(h); },
                                         [this](std::string_view data) { return on_part_data(data); },
                                         [this] { return on_part_end(); },
                                     }) {}

  Result<void> write(std::string_view chunk) override { return parser_.feed(chunk); }

  Response finish() override {
    if (auto done = parser_.finish(); !done) return api_error(done.error());
    if (files_.empty())
      return api_error(make_error(ErrorCode::invalid, "no file in the upload: send one or more multipart parts named "
                                                      "'files' with a filename"));
    JsonWriter w;
    w.begin_object().key("items").begin_array();
    std::vector<std::string> folders_done;
    for (auto& f : files_) {
      if (!f.folder.empty()) {
        // The first file of a folder stands for the whole folder: one item, packed from its files.
        if (std::find(folders_done.begin(), folders_done.end(), f.folder) != folders_done.end()) continue;
        folders_done.push_back(f.folder);
        std::vector<MediaLibrary::FolderFile> members;
        for (auto& m : files_)
          if (m.folder == f.folder) members.push_back({m.path_in_folder, m.writer.get(), m.info});
        auto stored = ctx_.services->media().add_folder_upload(actor_, device_id_, f.folder, members);
        if (!stored) return api_error(with_file_name(stored.error(), f.folder));
        w.raw(upload_json(*stored));
        continue;
      }
      auto stored = ctx_.services->media().add_upload(actor_, device_id_, f.raw_name, *f.writer, f.info);
      if (!stored) return api_error(with_file_name(stored.error(), f.raw_name));
      f.writer.reset();  // committed or dropped as a duplicate: nothing temporary left
      w.raw(upload_json(*stored));
    }
    w.end_array().end_object();
    return created(w.str(), "/api/v1/devices/" + device_id_ + "/media");
  }

 private:
  struct File {
    std::string raw_name;   // as the client sent it; the library sanitises it when storing
    std::string safe_name;  // the sanitised name, for the early type check
    std::unique_ptr<BlobWriter> writer;
    BlobInfo info;
    // A directory upload's file ("holiday/img1.jpg"): its folder and its path inside it.
    std::string folder, path_in_folder;
  };

  Result<void> on_part_begin(const MultipartPartHeaders& h) {
    // Other fields and empty file inputs (filename="") are ignored.
    if (h.name != kFilesField || !h.has_filename || h.filename.empty()) return {};
    // A relative path ("holiday/img1.jpg", as browsers send a directory's files) makes the file part
    // of a folder item; a plain name is a file of its own.
    // Anything else with separators (an absolute path, "..", a Windows path) stays a plain file whose
    // last component is its name, as before directory uploads.
    std::string folder, inner;
    if (is_relative_path(h.filename)) {
      const auto slash = h.filename.find('/');
      folder = h.filename.substr(0, slash);
      inner = h.filename.substr(slash + 1);
    }
    const std::size_t limit = folder.empty() ? kMaxFilesPerRequest : kMaxFolderFilesPerRequest;
    if (files_.size() >= limit)
      return make_error(ErrorCode::too_large,
                        fmt::format("at most {} files per upload request ({} in a folder upload; upload a ZIP for "
                                    "larger folders)",
                                    kMaxFilesPerRequest, kMaxFolderFilesPerRequest));
    auto safe = sanitize_file_name(h.filename);
    if (!safe) return with_file_name(safe.error(), h.filename);
    auto writer = ctx_.services->media().begin_upload(actor_, ctx_.config.max_upload_bytes);
    if (!writer) return writer.error();
    current_ = File{h.filename, std::move(*safe), std::move(*writer), {}, std::move(folder), std::move(inner)};
    return {};
  }

  Result<void> on_part_data(std::string_view data) {
    if (!current_) return {};
    if (auto r = current_->writer->write(data); !r) return with_file_name(r.error(), current_->raw_name);
    return {};
  }

  Result<void> on_part_end() {
    if (!current_) return {};
    File f = std::move(*current_);
    current_.reset();
    auto info = f.writer->finish();
    if (!info) return info.error();
    // Refuse a wrong type now rather than after the rest of the body (the library checks again). A
    // folder's files that are not images are skipped when the folder is packed.
    if (f.folder.empty())
      if (auto kind = sniff_media(info->head, f.safe_name); !kind) return with_file_name(kind.error(), f.raw_name);
    f.info = std::move(*info);
    files_.push_back(std::move(f));
    return {};
  }

  ServerContext& ctx_;
  const Actor actor_;
  const std::string device_id_;
  std::optional<File> current_;
  std::vector<File> files_;
  MultipartParser parser_;  // last: its callbacks use the members above
};

// Decides from the headers alone, before any body byte is read: who is calling, whether the body
// is multipart/form-data, and whether the device and the organisation's quota allow the upload.
StreamStart start_upload(ServerContext& ctx, Request& req) {
  StreamStart start;
  auto actor = request_actor(ctx, req);
  if (!actor) {
    start.refusal = api_error(actor.error());
    return start;
  }

  auto boundary = multipart_boundary(req.header("content-type"));
  if (!boundary) {
    Error e = boundary.error();
    if (e.code == ErrorCode::unsupported)
      e.message = fmt::format("uploads must be multipart/form-data with parts named 'files' ({})", e.message);
    start.refusal = api_error(e);
    return start;
  }
  const std::string& device_id = req.params.at("device_id");
  if (auto ok = ctx.services->media().check_upload(*actor, device_id, content_length(req)); !ok) {
    start.refusal = api_error(ok.error());
    return start;
  }
  start.sink = std::make_unique<UploadSink>(ctx, std::move(*actor), device_id, std::move(*boundary));
  return start;
}

}  // namespace

namespace {

// Media bytes with Range, ETag and If-None-Match, streamed from the blob.
Response content_response(const Request& req, const MediaContent& content) {
  const auto& m = content.media;
  const auto& blob = content.blob;
  if (!blob.url.empty()) return redirect_to_store(blob.url);
  StoredFile file{blob.path, blob.size, "\"" + m.blob_hash + "\"", blob.mtime_ms > 0 ? blob.mtime_ms : m.updated_at_ms,
                  std::string(content_type_for(m.mime)), {}};
  return file_response(req, file);
}

}  // namespace

void register_media_routes(Router& router, ServerContext& ctx) {
  // ---- a device's files ----------------------------------------------------------------------

  RouteOptions upload;
  upload.max_body_bytes = kMaxUploadRequestBytes;
  upload.stream = [&ctx](Request& req) { return start_upload(ctx, req); };
  router.add("POST", "/api/v1/devices/{device_id}/media", nullptr, upload);

  // Cached by the library (30 s; every media change invalidates).
  router.add("GET", "/api/v1/devices/{device_id}/media",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto page = page_request(req);
               if (!page) return page.error();
               FileFilter filter;  // ?q= (name contains, case-insensitive) and ?kind=
               filter.contains = req.query_param("q").value_or("");
               filter.kind = req.query_param("kind").value_or("");
               auto body = ctx.services->media().files_json(actor, req.params.at("device_id"), *page, filter);
               if (!body) return body.error();
               return Response::json(200, std::move(*body));
             }));

  // {"name"}: the device's name for the file (what players ask for); 409 when the name is taken.
  router.add("PATCH", "/api/v1/devices/{device_id}/media/{name}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto name = body->string("name");
               if (!name) return name.error();
               auto file = ctx.services->media().rename_file(actor, req.params.at("device_id"), req.params.at("name"), *name);
               if (!file) return file.error();
               return Response::json(200, MediaLibrary::to_json(*file));
             }));

  // Takes the file off the device; the media stays in the library.
  router.add("DELETE", "/api/v1/devices/{device_id}/media/{name}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto done = ctx.services->media().unlink(actor, req.params.at("device_id"), req.params.at("name"));
               if (!done) return done.error();
               return no_content();
             }));

  // {"to_device"}: the same media offered by another device under the same name; no bytes copied.
  router.add("POST", "/api/v1/devices/{device_id}/media/{name}/move",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto to = body->string("to_device");
               if (!to) return to.error();
               auto file = ctx.services->media().move(actor, req.params.at("device_id"), req.params.at("name"), *to);
               if (!file) return file.error();
               return Response::json(200, MediaLibrary::to_json(*file));
             }));

  // ---- the organisation's library ------------------------------------------------------------

  // ?kind=video|audio|image|pdf|pptx|zip, ?limit=, ?cursor=. Cached by the library.
  router.add("GET", "/api/v1/media", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    auto body = ctx.services->media().list_json(actor, *page, req.query_param("kind").value_or(""));
    if (!body) return body.error();
    return Response::json(200, std::move(*body));
  }));

  router.add("GET", "/api/v1/media/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto media = ctx.services->media().get(actor, req.params.at("id"));
    if (!media) return media.error();
    return Response::json(200, MediaLibrary::to_json(*media));
  }));

  // {"name"}: the display name in the library (device file names are unchanged).
  router.add("PATCH", "/api/v1/media/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto name = body->string("name");
    if (!name) return name.error();
    auto media = ctx.services->media().rename(actor, req.params.at("id"), *name);
    if (!media) return media.error();
    return Response::json(200, MediaLibrary::to_json(*media));
  }));

  // Everywhere: off every device, and the bytes with the last reference.
  // ?force=true also removes it from the playlists that use it (without: 409 naming them).
  router.add("DELETE", "/api/v1/media/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    const auto force = req.query_param("force").value_or("false");
    if (force != "true" && force != "false") return make_error(ErrorCode::invalid, "query parameter 'force' is true or false");
    auto done = ctx.services->media().remove(actor, req.params.at("id"), force == "true");
    if (!done) return done.error();
    return no_content();
  }));

  // {"device_id","name"?}: offers the media on a device (a copy without copying bytes).
  router.add("POST", "/api/v1/media/{id}/devices",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto device_id = body->string("device_id");
               if (!device_id) return device_id.error();
               auto name = body->opt_string("name");
               if (!name) return name.error();
               auto file = ctx.services->media().link(actor, req.params.at("id"), *device_id,
                                                      name->has_value() ? std::string_view(**name) : std::string_view{});
               if (!file) return file.error();
               return created(MediaLibrary::to_json(*file), "/api/v1/devices/" + *device_id + "/media");
             }));

  // The bytes (HEAD falls back here): single Range, If-None-Match / If-Modified-Since, streamed
  // from disk by the network layer.
  router.add("GET", "/api/v1/media/{id}/content",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto content = ctx.services->media().open(actor, req.params.at("id"));
               if (!content) return content.error();
               return content_response(req, *content);
             }));

  // The same for a device's file by its name on the device (a panel's preview of what plays now).
  router.add("GET", "/api/v1/devices/{device_id}/media/{name}/content",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto content = ctx.services->media().open_file(actor, req.params.at("device_id"), req.params.at("name"));
               if (!content) return content.error();
               return content_response(req, *content);
             }));

  // ---- what the content pipeline made ---------------------------------------------------------

  router.add("GET", "/api/v1/devices/{device_id}/media/{name}/thumbnail",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto d = ctx.services->media().derived(actor, req.params.at("device_id"), req.params.at("name"),
                                                      DerivedPart::thumbnail);
               if (!d) return d.error();
               return derived_response(req, *d);
             }));

  router.add("GET", "/api/v1/devices/{device_id}/media/{name}/pages/{n}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto index = page_number(req, "page");
               if (!index) return index.error();
               auto d = ctx.services->media().derived(actor, req.params.at("device_id"), req.params.at("name"),
                                                      DerivedPart::page, *index);
               if (!d) return d.error();
               return derived_response(req, *d);
             }));

  // {"optimize"?: bool}: processes the file again (after the page size or video profile changed),
  // or makes a video's rendition now. 202 with the job; file/processing … file/ready follow.
  router.add("POST", "/api/v1/devices/{device_id}/media/{name}/process",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               bool optimize = false;
               if (!req.body.empty()) {
                 auto body = JsonBody::parse(req.body);
                 if (!body) return body.error();
                 auto o = body->opt_boolean("optimize");
                 if (!o) return o.error();
                 optimize = o->value_or(false);
               }
               if (!ctx.pipeline) return make_error(ErrorCode::unavailable, "the content pipeline is not running");
               auto job = ctx.pipeline->reprocess(actor, req.params.at("device_id"), req.params.at("name"), optimize);
               if (!job) return job.error();
               JsonWriter w;
               w.begin_object().key("job_id").value(job->id).key("status").value("processing").end_object();
               return Response::json(202, std::move(w).str());
             }));
}

}  // namespace vc::server
