// The conversions of the content pipeline, one function per kind, each writing into an output
// folder of its job and describing what it made. They know nothing about jobs or the database:
// pipeline.cpp runs them, publishes the folder and updates the media item. Private to the library.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "videocontrol/domain.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/result.hpp"

namespace vc::pipeline {

// What a conversion made, in its output folder.
struct Conversion {
  std::vector<std::string> files;   // page or folder images, in order (file names in the folder)
  std::vector<std::string> names;   // folders: each image's path inside the archive
  bool thumbnail = false;           // thumb.jpg
  bool rendition = false;           // rendition.mp4
  std::string metadata_json = "{}"; // the media item's metadata
  std::string warning;              // e.g. why no player can decode it (kept as the item's error text)
};

struct ConvertContext {
  std::string source;              // the blob's path
  std::string mime;
  MediaKind kind = MediaKind::video;
  std::string work_dir;            // the job's folder (tools' HOME/TMPDIR, scratch files)
  std::string out_dir;             // what to publish (empty, inside work_dir)
  const PipelineOptions* options = nullptr;
  bool optimize = false;           // make a rendition even below the thresholds
  std::chrono::steady_clock::time_point deadline;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int percent)> progress;  // 0..100, may be called often; the caller throttles
};

// Errors: invalid or unsupported (the file is bad: the message says why; not retried), unavailable
// (a tool missing or killed, the disk: may pass, retried). A tool stopped at the deadline or by
// `cancel` also gives unavailable; the caller tells those apart by the clock and the flag.
Result<Conversion> convert(const ConvertContext& ctx);

// A file extension LibreOffice recognises for a document/presentation mime ("pptx", "odt", …).
std::string office_extension(std::string_view mime);

// Fits (w, h) into (box_w, box_h) keeping the aspect ratio; both results at least 1 and even when
// `even` (video encoders need even sizes).
std::pair<int, int> fit_box(double w, double h, int box_w, int box_h, bool even = false);

}  // namespace vc::pipeline
