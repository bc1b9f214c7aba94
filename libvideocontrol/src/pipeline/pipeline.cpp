#include "videocontrol/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "../services/context.hpp"
#include "converters.hpp"
#include "derived_store.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"

namespace vc {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using Links = std::vector<std::pair<std::string, std::string>>;

bool paged_kind(MediaKind k) {
  return k == MediaKind::pdf || k == MediaKind::pptx || k == MediaKind::document || k == MediaKind::zip;
}

std::chrono::seconds time_limit(MediaKind k, const PipelineOptions& o, bool transcode) {
  switch (k) {
    case MediaKind::pdf: return o.pdf_timeout;
    case MediaKind::pptx:
    case MediaKind::document: return o.document_timeout;
    case MediaKind::zip: return o.archive_timeout;
    case MediaKind::video: return transcode ? o.transcode_timeout : o.media_timeout;
    default: return o.media_timeout;
  }
}

// The job's payload: {"media_id": "…", "optimize": bool}.
std::string job_payload(std::string_view media_id, bool optimize) {
  JsonWriter w;
  w.begin_object().key("media_id").value(media_id);
  if (optimize) w.key("optimize").value(true);
  return std::move(w.end_object()).str();
}

struct Payload {
  std::string media_id;
  bool optimize = false;
};

std::optional<Payload> parse_payload(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto m = d.FindMember("media_id");
  if (m == d.MemberEnd() || !m->value.IsString()) return std::nullopt;
  Payload p;
  p.media_id = m->value.GetString();
  if (auto o = d.FindMember("optimize"); o != d.MemberEnd() && o->value.IsBool()) p.optimize = o->value.GetBool();
  return p;
}

// The manifest of a published folder: what the conversion made, so that another item with the same
// bytes is finished from it without converting again.
std::string manifest_json(MediaKind kind, const pipeline::Conversion& c) {
  JsonWriter w;
  w.begin_object().key("version").value(1).key("kind").value(to_string(kind));
  w.key("files").begin_array();
  for (const auto& f : c.files) w.value(f);
  w.end_array();
  w.key("names").begin_array();
  for (const auto& n : c.names) w.value(n);
  w.end_array();
  w.key("thumbnail").value(c.thumbnail).key("rendition").value(c.rendition);
  w.key("warning").value(c.warning);
  w.key("metadata").raw(c.metadata_json);
  return std::move(w.end_object()).str();
}

Result<pipeline::Conversion> parse_manifest(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return make_error(ErrorCode::internal, "a derived manifest is damaged");
  pipeline::Conversion c;
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    auto m = d.FindMember(key);
    if (m == d.MemberEnd() || !m->value.IsArray()) return;
    for (const auto& v : m->value.GetArray())
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  };
  strings("files", c.files);
  strings("names", c.names);
  auto flag = [&](const char* key) {
    auto m = d.FindMember(key);
    return m != d.MemberEnd() && m->value.IsBool() && m->value.GetBool();
  };
  c.thumbnail = flag("thumbnail");
  c.rendition = flag("rendition");
  if (auto m = d.FindMember("warning"); m != d.MemberEnd() && m->value.IsString()) c.warning = m->value.GetString();
  if (auto m = d.FindMember("metadata"); m != d.MemberEnd() && m->value.IsObject()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    m->value.Accept(writer);
    c.metadata_json.assign(buf.GetString(), buf.GetSize());
  }
  return c;
}

}  // namespace

std::string ContentPipeline::profile(MediaKind kind, const PipelineOptions& o, bool optimize) {
  // Everything that shapes the output is in the name; change a setting and new conversions go to a
  // new folder (reprocess to use it), while what players are showing stays valid.
  switch (kind) {
    case MediaKind::pdf:
    case MediaKind::pptx:
    case MediaKind::document:
      return fmt::format("pages-v1-{}x{}-t{}x{}", o.page_width, o.page_height, o.thumbnail_width, o.thumbnail_height);
    case MediaKind::zip:
      return fmt::format("folder-v1-t{}x{}", o.thumbnail_width, o.thumbnail_height);
    case MediaKind::video:
      if (!o.optimize_videos && !optimize) return fmt::format("video-v1-t{}x{}", o.thumbnail_width, o.thumbnail_height);
      return fmt::format("video-v1-t{}x{}-{}p-{}k-crf{}-{}-a{}{}", o.thumbnail_width, o.thumbnail_height,
                         o.video.max_height, o.video.max_bitrate / 1000, o.video.crf, o.video.preset,
                         o.video.audio_bitrate_k, optimize ? "-forced" : "");
    case MediaKind::audio:
    case MediaKind::image:
      return fmt::format("{}-v1-t{}x{}", to_string(kind), o.thumbnail_width, o.thumbnail_height);
  }
  return "unknown";
}

struct ContentPipeline::Impl {
  struct Running {
    std::string worker;
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    std::atomic<int> percent{0};
  };

  Impl(Services& s, Storage& st, std::string derived_dir, PipelineOptions o, std::string inst)
      : services(s), ctx(service_context(s)), storage(st), queue(st, ctx.clock), derived(std::move(derived_dir)),
        options(std::move(o)), instance(std::move(inst)) {
    if (options.workers == 0) options.workers = std::max(1u, std::thread::hardware_concurrency() / 2);
    if (options.page_width < 16 || options.page_height < 16) options.page_width = 1920, options.page_height = 1080;
  }

  Services& services;
  ServiceContext& ctx;
  Storage& storage;
  JobQueue queue;
  pipeline::DerivedStore derived;
  PipelineOptions options;
  std::string instance;

  std::mutex mu;
  std::condition_variable wake;
  bool started = false;
  bool stopping = false;
  std::vector<std::thread> threads;
  std::map<std::string, std::shared_ptr<Running>> running;  // by job id
  std::optional<DomainEvents::Subscription> subscription;

  std::atomic<std::uint64_t> n_started{0}, n_succeeded{0}, n_failed{0}, n_retried{0}, n_reused{0};

  // ---- the media item and its events ---------------------------------------------------------------

  Result<std::optional<Media>> load(std::string_view media_id) {
    return read_value<std::optional<Media>>(storage, [&](StorageSession& s) { return s.media().find(media_id); });
  }

  Links links_of(std::string_view media_id) {
    auto l = read_value<Links>(storage, [&](StorageSession& s) { return s.media().links(media_id); });
    return l ? std::move(*l) : Links{};
  }

  // One event per device offering the media, with the panels' argument.
  void publish(EventKind kind, const Media& m, const Links& links, int progress, const std::string& error = {}) {
    for (const auto& [device, name] : links) {
      JsonWriter w;
      w.begin_object().key("device_id").value(device).key("file").value(name).key("media_id").value(m.id);
      w.key("type").value(player_type(m.kind)).key("kind").value(to_string(m.kind));
      w.key("status").value(m.status).key("progress").value(progress);
      if (kind == EventKind::media_ready && m.page_count) w.key("pages").value(*m.page_count);
      if (!error.empty()) w.key("error").value(error);
      DomainEvent e = domain_event(kind, m.organization_id, device, m.id, name);
      e.player_payload = std::move(w.end_object()).str();
      ctx.publish(std::move(e), Actor::system());
    }
  }

  // Changes the row (when it still exists) and the caches that show it.
  Result<std::optional<Media>> update(std::string_view media_id, const std::function<void(Media&)>& change) {
    auto r = write_value<std::optional<Media>>(storage, [&](StorageSession& s) -> Result<std::optional<Media>> {
      VC_ASSIGN(auto m, s.media().find(media_id));
      if (!m) return std::optional<Media>{};
      change(*m);
      m->updated_at_ms = ctx.now_ms();
      VC_TRY(s.media().update(*m));
      return m;
    });
    if (r && *r) ctx.cache.bump(media_namespace((*r)->organization_id));
    return r;
  }

  // ---- one job -------------------------------------------------------------------------------------

  void finish_ready(const Media& source, std::string_view profile, const pipeline::Conversion& c, bool reused) {
    auto m = update(source.id, [&](Media& row) {
      row.status = "ready";
      row.progress = 100;
      row.error = c.warning;
      row.derived = std::string(profile);
      row.metadata_json = c.metadata_json;
      if (paged_kind(row.kind)) row.page_count = static_cast<int>(c.files.size());
    });
    if (!m) {
      log_warn("content pipeline: cannot record a finished conversion", {{"media", source.id}, {"error", m.error().message}});
      return;
    }
    if (!*m) {
      // Deleted while it was converted: when that dropped the last reference to the bytes, the
      // derived folder published after their collection would outlive them.
      auto refs = read_value<std::int64_t>(storage, [&](StorageSession& s) { return s.blobs().refcount(source.blob_hash); });
      if (refs && *refs == 0) (void)derived.remove_all(source.blob_hash);
      return;
    }
    if (reused) ++n_reused;
    ctx.cache.bump(devices_namespace((*m)->organization_id));
    publish(EventKind::media_ready, **m, links_of(source.id), 100);
  }

  void finish_failed(const Media& source, const std::string& error) {
    auto m = update(source.id, [&](Media& row) {
      row.status = "error";
      row.error = error;
    });
    if (m && *m) publish(EventKind::media_failed, **m, links_of(source.id), (*m)->progress, error);
  }

  void run(const Job& job, const std::string& worker) {
    ++n_started;
    auto state = std::make_shared<Running>();
    state->worker = worker;
    {
      std::lock_guard lock(mu);
      running[job.id] = state;
    }
    struct Unregister {
      Impl& self;
      const std::string& id;
      ~Unregister() {
        std::lock_guard lock(self.mu);
        self.running.erase(id);
      }
    } unregister{*this, job.id};

    auto payload = parse_payload(job.payload_json);
    if (!payload) {
      (void)queue.fail(job.id, worker, "the job's payload has no media_id");
      ++n_failed;
      return;
    }
    auto loaded = load(payload->media_id);
    if (!loaded) return retry_or_fail(job, worker, nullptr, loaded.error().message);
    if (!*loaded) {  // deleted before it was processed: nothing to do
      (void)queue.complete(job.id, worker);
      return;
    }
    const Media media = std::move(**loaded);
    const std::string profile = ContentPipeline::profile(media.kind, options, payload->optimize);

    // Converted before (the same bytes elsewhere, or a run that crashed after publishing).
    if (derived.published(media.blob_hash, profile)) {
      auto manifest = derived.manifest(media.blob_hash, profile);
      auto c = manifest ? parse_manifest(*manifest) : Result<pipeline::Conversion>(manifest.error());
      if (c) {
        finish_ready(media, profile, *c, true);
        (void)queue.complete(job.id, worker);
        ++n_succeeded;
        return;
      }
      log_warn("content pipeline: converting again over a damaged manifest", {{"hash", media.blob_hash}});
    }

    auto blob = ctx.blobs.locate(media.blob_hash);
    if (!blob) return retry_or_fail(job, worker, &media, "the file's bytes cannot be found: " + blob.error().message);

    const Links links = links_of(media.id);
    if (auto m = update(media.id, [](Media& row) {
          row.status = "processing";
          row.progress = 0;
          row.error.clear();
        });
        m && *m)
      publish(EventKind::media_processing, **m, links, 0);

    auto work = derived.make_work_dir(job.id);
    if (!work) return retry_or_fail(job, worker, &media, work.error().message);
    const fs::path out_dir = fs::path(*work) / "out";
    std::error_code ec;
    fs::create_directories(out_dir, ec);

    pipeline::ConvertContext cc;
    cc.source = blob->path;
    cc.mime = media.mime;
    cc.kind = media.kind;
    cc.work_dir = *work;
    cc.out_dir = out_dir.string();
    cc.options = &options;
    cc.optimize = payload->optimize;
    const auto limit = time_limit(media.kind, options, media.kind == MediaKind::video);
    cc.deadline = SteadyClock::now() + limit;
    cc.cancel = state->cancel.get();
    int last_sent = 0;
    auto last_time = SteadyClock::now();
    auto last_row = last_time - std::chrono::seconds(2);
    cc.progress = [&](int percent) {
      state->percent = std::max(state->percent.load(), percent);
      const auto now = SteadyClock::now();
      if (percent <= last_sent || (percent < 100 && now - last_time < std::chrono::milliseconds(500))) return;
      last_sent = percent;
      last_time = now;
      if (auto r = queue.progress(job.id, worker, percent); !r) state->cancel->store(true);  // lease lost
      // The row (and the list caches it invalidates) every 2 s at most; the panels follow the events.
      if (now - last_row >= std::chrono::seconds(2) || percent == 100) {
        last_row = now;
        if (auto m = update(media.id, [&](Media& row) { row.progress = percent; }); !m)
          log_warn("content pipeline: cannot record progress", {{"media", media.id}});
      }
      Media shown = media;
      shown.status = "processing";
      shown.progress = percent;
      publish(EventKind::media_progress, shown, links, percent);
    };

    const auto t0 = SteadyClock::now();
    auto converted = pipeline::convert(cc);
    const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
    if (state->cancel->load()) {
      // Shutting down, or the lease went to another worker: leave the job to whoever claims it.
      derived.remove_work_dir(job.id);
      log_info("content pipeline: job interrupted", {{"job", job.id}, {"media", media.id}});
      return;
    }
    if (!converted) {
      derived.remove_work_dir(job.id);
      const Error& e = converted.error();
      if (SteadyClock::now() >= cc.deadline)
        return fail_for_good(job, worker, media,
                             fmt::format("processing took longer than the {} s time limit for {} files", limit.count(),
                                         to_string(media.kind)));
      if (e.code == ErrorCode::unavailable || e.code == ErrorCode::internal)
        return retry_or_fail(job, worker, &media, e.message);
      return fail_for_good(job, worker, media, e.message);
    }
    auto published = derived.publish(out_dir.string(), media.blob_hash, profile, manifest_json(media.kind, *converted));
    derived.remove_work_dir(job.id);
    if (!published) return retry_or_fail(job, worker, &media, published.error().message);
    finish_ready(media, profile, *converted, false);
    if (auto r = queue.complete(job.id, worker); !r)
      log_warn("content pipeline: cannot mark a job done", {{"job", job.id}, {"error", r.error().message}});
    ++n_succeeded;
    log_info("content pipeline: converted",
             {{"media", media.id}, {"kind", std::string(to_string(media.kind))}, {"ms", took_ms},
              {"files", static_cast<std::int64_t>(converted->files.size())}, {"rendition", converted->rendition}});
  }

  void fail_for_good(const Job& job, const std::string& worker, const Media& media, const std::string& error) {
    if (auto r = queue.fail(job.id, worker, error); !r) return;  // no longer ours
    ++n_failed;
    finish_failed(media, error);
    log_warn("content pipeline: conversion failed", {{"media", media.id}, {"job", job.id}, {"error", error}});
  }

  void retry_or_fail(const Job& job, const std::string& worker, const Media* media, const std::string& error) {
    if (job.attempts < options.max_attempts) {
      const auto backoff = options.retry_backoff * (1 << std::min(job.attempts - 1, 10));
      if (queue.fail(job.id, worker, error, backoff)) ++n_retried;
      log_warn("content pipeline: will retry", {{"job", job.id}, {"attempt", job.attempts}, {"error", error}});
      return;
    }
    if (media) return fail_for_good(job, worker, *media, fmt::format("{} (after {} attempts)", error, job.attempts));
    if (queue.fail(job.id, worker, error)) ++n_failed;
  }

  // ---- workers -------------------------------------------------------------------------------------

  bool run_one(const std::string& worker) {
    auto claimed = queue.claim(worker, options.lease, ContentPipeline::kJobKind);
    if (!claimed) {
      log_warn("content pipeline: cannot claim jobs", {{"error", claimed.error().message}});
      return false;
    }
    if (!*claimed) return false;  // claim() leases media jobs only: webhook jobs stay for their workers
    run(**claimed, worker);
    return true;
  }

  void worker_loop(unsigned index) {
    const std::string worker = fmt::format("{}-w{}", instance, index);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) return;
      }
      if (run_one(worker)) continue;
      std::unique_lock lock(mu);
      wake.wait_for(lock, options.poll, [&] { return stopping; });
      if (stopping) return;
    }
  }

  // Renews the leases of running jobs (a long LibreOffice or ffmpeg run reports no progress).
  void keeper_loop() {
    const auto every = std::max(std::chrono::milliseconds(200), options.lease / 3);
    std::unique_lock lock(mu);
    while (!stopping) {
      wake.wait_for(lock, every, [&] { return stopping; });
      if (stopping) return;
      auto snapshot = running;
      lock.unlock();
      for (const auto& [id, r] : snapshot)
        if (auto ok = queue.progress(id, r->worker, r->percent.load()); !ok && ok.error().code == ErrorCode::conflict)
          r->cancel->store(true);  // another worker has it now: stop ours
      lock.lock();
    }
  }

  void clean_work_dirs() {
    for (const auto& id : derived.work_dirs()) {
      auto job = queue.get(id);
      if (!job) continue;
      // A job that is running on a live worker keeps its folder; the rest are leftovers.
      const bool live = *job && (*job)->status == JobStatus::running && (*job)->claimed_at_ms &&
                        *(*job)->claimed_at_ms > ctx.now_ms() - options.lease.count();
      if (!live) derived.remove_work_dir(id);
    }
  }
};

ContentPipeline::ContentPipeline(Services& services, Storage& storage, std::string derived_dir, PipelineOptions options,
                                 std::string instance)
    : impl_(std::make_unique<Impl>(services, storage, std::move(derived_dir), std::move(options), std::move(instance))) {}

ContentPipeline::~ContentPipeline() { stop(); }

void ContentPipeline::start() {
  Impl& in = *impl_;
  std::lock_guard lock(in.mu);
  if (in.started) return;
  in.started = true;
  in.stopping = false;
  in.clean_work_dirs();
  // Uploads on any instance wake the workers at once instead of at the next poll.
  in.subscription = in.services.events().subscribe([&in](const DomainEvent& e) {
    if (e.kind == EventKind::media_added) in.wake.notify_all();
  });
  for (unsigned i = 0; i < in.options.workers; ++i) in.threads.emplace_back([&in, i] { in.worker_loop(i); });
  in.threads.emplace_back([&in] { in.keeper_loop(); });
  log_info("content pipeline started", {{"workers", static_cast<std::int64_t>(in.options.workers)}});
}

void ContentPipeline::stop() {
  Impl& in = *impl_;
  {
    std::lock_guard lock(in.mu);
    if (!in.started) return;
    in.stopping = true;
    for (auto& [id, r] : in.running) r->cancel->store(true);
  }
  in.wake.notify_all();
  if (in.subscription) in.services.events().unsubscribe(*in.subscription);
  in.subscription.reset();
  for (auto& t : in.threads) t.join();
  in.threads.clear();
  std::lock_guard lock(in.mu);
  in.started = false;
}

Result<Job> ContentPipeline::reprocess(const Actor& actor, std::string_view device_id, std::string_view name,
                                       bool optimize) {
  Impl& in = *impl_;
  Job job;
  Media media;
  VC_TRY(in.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    VC_ASSIGN(auto file, s.media().find_file(d.id, name));
    if (!file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", device_id, name));
    if (optimize && file->media.kind != MediaKind::video)
      return make_error(ErrorCode::invalid, "only videos can be optimised");
    media = std::move(file->media);
    media.status = "processing";
    media.progress = 0;
    media.error.clear();
    media.updated_at_ms = in.ctx.now_ms();
    VC_TRY(s.media().update(media));
    job.id = new_id(*in.ctx.clock);
    job.organization_id = media.organization_id;
    job.kind = std::string(kJobKind);
    job.payload_json = job_payload(media.id, optimize);
    job.created_at_ms = job.updated_at_ms = job.run_after_ms = in.ctx.now_ms();
    VC_TRY(s.jobs().insert(job));
    return s.audit().append(audit_entry(in.ctx, actor, optimize ? "media.optimize" : "media.reprocess", "media",
                                        media.id, media.organization_id));
  }));
  in.ctx.cache.bump(media_namespace(media.organization_id));
  in.publish(EventKind::media_processing, media, in.links_of(media.id), 0);
  in.wake.notify_all();
  return job;
}

Result<int> ContentPipeline::run_pending() {
  int ran = 0;
  const std::string worker = impl_->instance + "-inline";
  while (impl_->run_one(worker)) ++ran;
  return ran;
}

PipelineStats ContentPipeline::stats() const {
  PipelineStats s;
  s.started = impl_->n_started;
  s.succeeded = impl_->n_succeeded;
  s.failed = impl_->n_failed;
  s.retried = impl_->n_retried;
  s.reused = impl_->n_reused;
  std::lock_guard lock(impl_->mu);
  s.running = static_cast<unsigned>(impl_->running.size());
  s.workers = impl_->started ? impl_->options.workers : 0;
  return s;
}

const PipelineOptions& ContentPipeline::options() const { return impl_->options; }

}  // namespace vc
