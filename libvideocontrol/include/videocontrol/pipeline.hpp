// ContentPipeline: turns uploaded files into what every player can show (issue 12), as durable jobs
// on the JobQueue (jobs.hpp) that any instance's workers claim:
//
//   pdf              → page images fitted into the page box keeping their aspect ratio (poppler)
//   pptx / document  → PDF with LibreOffice headless (a private profile per job) → page images
//   zip (a folder)   → its images, checked and extracted (libarchive), in natural order
//   video / audio    → probed (ffprobe): duration, size, codecs, bitrate, rotation, resolution label,
//                      and why no player could decode it; an H.264/AAC faststart MP4 rendition when
//                      the file exceeds the video profile (players get the rendition)
//   image            → probed (size)
//   every kind       → a small JPEG thumbnail (a frame at ~10 % of a video, an audio waveform, the
//                      first page or image)
//
// What a conversion makes is stored by the source's SHA-256 and the conversion profile (a name built
// from the options that shape the output), so the same bytes are converted once for every device and
// organisation, and released with the bytes. A media item shows status processing|ready|error with
// progress and the error text; the services publish media_processing/progress/ready/failed events.
//
// Jobs survive anything: a claim is a lease the worker renews while it works; a worker that dies
// (kill -9 of the server) stops renewing, and the job is claimed again by any instance and starts over
// in a fresh work folder. External tools run in their own process group and session, in the job's
// folder, without network where the kernel allows it, killed at the job kind's time limit. A job
// that fails for a reason that may pass (the disk, a tool killed by a signal) is retried with
// back-off up to max_attempts; bad input fails at once with the reason.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Services;
class Storage;

// The rendition players get when a video exceeds it (the original's video-optimization.json).
struct VC_API VideoProfile {
  int max_height = 1080;                  // display height above this → scaled down
  std::int64_t max_bitrate = 8'000'000;   // bits/s above this → re-encoded
  int crf = 23;                           // libx264 quality
  std::string preset = "veryfast";        // libx264 speed
  int audio_bitrate_k = 128;              // AAC
};

struct VC_API PipelineOptions {
  unsigned workers = 0;                           // jobs at once in this process; 0 = max(1, cores / 2)
  std::chrono::milliseconds lease{30'000};        // renewed while a job runs; a dead worker's job is claimed after it
  std::chrono::milliseconds poll{1'000};          // idle workers look for other instances' jobs this often
  int max_attempts = 3;                           // for failures that may pass
  std::chrono::milliseconds retry_backoff{10'000};  // doubled per attempt
  int page_width = 1920;                          // pages are fitted into this box, aspect ratio kept
  int page_height = 1080;
  int thumbnail_width = 320;                      // thumbnails fit into this box
  int thumbnail_height = 180;
  // Time limits per job kind (the whole job; each tool gets what is left).
  std::chrono::seconds pdf_timeout{3600};         // a 5,000-page PDF fits
  std::chrono::seconds document_timeout{900};     // LibreOffice, then the pages
  std::chrono::seconds media_timeout{120};        // probe and thumbnail of an audio file or image
  std::chrono::seconds transcode_timeout{3600};   // a video: probe, thumbnail and rendition
  std::chrono::seconds archive_timeout{600};      // a folder's thumbnail (extraction is bounded by the archive limits)
  bool optimize_videos = true;                    // make renditions of videos over the profile
  VideoProfile video;
  std::int64_t archive_max_entries = 10'000;
  std::int64_t archive_max_bytes = 4ll << 30;     // expanded
};

struct VC_API PipelineStats {
  std::uint64_t started = 0;     // jobs this process began
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;      // failed for good
  std::uint64_t retried = 0;     // failed, queued again
  std::uint64_t reused = 0;      // finished from another item's conversion of the same bytes
  unsigned running = 0;
  unsigned workers = 0;
};

class VC_API ContentPipeline {
 public:
  // REQUIRES: services and storage outlive the pipeline. derived_dir: where derived files live
  // (the Services' ServiceOptions::derived_dir). instance: this process's worker name prefix.
  ContentPipeline(Services& services, Storage& storage, std::string derived_dir, PipelineOptions options,
                  std::string instance);
  ~ContentPipeline();  // stop()
  ContentPipeline(const ContentPipeline&) = delete;
  ContentPipeline& operator=(const ContentPipeline&) = delete;

  // Starts the workers (options.workers of them) and removes work folders of jobs that no longer
  // run. Idempotent.
  void start();
  // Stops taking jobs, cancels the running ones (their tools are killed; the jobs stay leased and
  // are claimed again after the lease by whichever instance runs next) and joins the workers.
  void stop();

  // Processes a device's file again: after the page size or profile changed, or with optimize to
  // make a video rendition now even below the thresholds. Errors: not_found, forbidden (needs
  // manage_content), invalid (optimize for something that is not a video). A job already running
  // for the file finishes too; the later one's result stays.
  Result<Job> reprocess(const Actor& actor, std::string_view device_id, std::string_view name, bool optimize = false);

  // Runs due jobs on the calling thread until none is due; returns how many ran (tests and tools
  // without workers).
  Result<int> run_pending();

  PipelineStats stats() const;
  const PipelineOptions& options() const;

  // The job kind of media processing, and the derived-files profile of a kind under these options.
  static constexpr std::string_view kJobKind = "media.process";
  static std::string profile(MediaKind kind, const PipelineOptions& options, bool optimize = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
