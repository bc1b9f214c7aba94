#include "converters.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "../services/context.hpp"  // VC_ASSIGN
#include "archive.hpp"
#include "probe.hpp"
#include "process.hpp"
#include "videocontrol/json_writer.hpp"

namespace vc::pipeline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(const ConvertContext& c) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

// Runs a tool for the job: its folder, what is left of the time limit, the job's cancel flag.
Result<ProcessResult> run_tool(const ConvertContext& c, std::vector<std::string> argv,
                               std::function<void(std::string_view)> on_line = {}, std::size_t max_stdout = 1 << 20) {
  ProcessOptions o;
  o.argv = std::move(argv);
  o.work_dir = c.work_dir;
  o.timeout = remaining(c);
  o.cancel = c.cancel;
  o.on_stdout_line = std::move(on_line);
  o.max_stdout = max_stdout;
  o.nice = 19;  // conversions yield the CPU to the API (docs/benchmarks.md, "Content pipeline")
  return run_process(o);
}

// A tool that ran and failed: unavailable when it was stopped (time limit, cancel, a signal — may
// pass), else the given code with what it said.
Error tool_failed(const ProcessResult& r, std::string_view what, ErrorCode code = ErrorCode::invalid) {
  if (r.timed_out || r.cancelled || r.signal != 0)
    return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, r.describe()));
  return make_error(code, fmt::format("{}: {}", what, r.describe()));
}

void report(const ConvertContext& c, int percent) {
  if (c.progress) c.progress(std::clamp(percent, 0, 100));
}

// ---- thumbnails ------------------------------------------------------------------------------------

std::string scale_filter(int w, int h) {
  return fmt::format("scale={}:{}:force_original_aspect_ratio=decrease", w, h);
}

// A JPEG of one frame of `input` (seeking to `at_s` when positive), fitted into the thumbnail box.
// Failures are not fatal for the conversion: a file without a thumbnail still plays.
bool make_thumbnail(const ConvertContext& c, const std::string& input, double at_s = 0) {
  std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y"};
  if (at_s > 0) {
    argv.push_back("-ss");
    argv.push_back(fmt::format("{:.3f}", at_s));
  }
  argv.push_back("-i");
  argv.push_back(input);
  argv.insert(argv.end(), {"-frames:v", "1", "-vf",
                           scale_filter(c.options->thumbnail_width, c.options->thumbnail_height) + ",format=yuvj420p",
                           "-q:v", "4", (fs::path(c.out_dir) / "thumb.jpg").string()});
  auto r = run_tool(c, argv);
  std::error_code ec;
  return r && r->ok() && fs::file_size(fs::path(c.out_dir) / "thumb.jpg", ec) > 0 && !ec;
}

bool make_waveform(const ConvertContext& c, const std::string& input) {
  auto r = run_tool(c, {"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", input, "-filter_complex",
                        fmt::format("showwavespic=s={}x{}:colors=0x3b82f6,format=yuvj420p", c.options->thumbnail_width,
                                    c.options->thumbnail_height),
                        "-frames:v", "1", "-q:v", "4", (fs::path(c.out_dir) / "thumb.jpg").string()});
  std::error_code ec;
  return r && r->ok() && fs::file_size(fs::path(c.out_dir) / "thumb.jpg", ec) > 0 && !ec;
}

// ---- probing ---------------------------------------------------------------------------------------

Result<MediaProbe> probe(const ConvertContext& c, const std::string& input) {
  VC_ASSIGN(auto r, run_tool(c, {"ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                                 input},
                             {}, 4 << 20));
  if (!r.ok()) return tool_failed(r, "ffprobe cannot read the file");
  return parse_ffprobe_json(r.out);
}

void write_probe(JsonWriter& w, const MediaProbe& p) {
  if (p.duration_s > 0) w.key("duration").value(std::round(p.duration_s * 1000) / 1000);
  if (p.width > 0) {
    w.key("width").value(p.display_width()).key("height").value(p.display_height());
    w.key("resolution").value(resolution_label(p.display_width(), p.display_height()));
  }
  if (p.rotation) w.key("rotation").value(p.rotation);
  if (!p.video_codec.empty()) w.key("video_codec").value(p.video_codec);
  if (!p.audio_codec.empty()) w.key("audio_codec").value(p.audio_codec);
  if (p.bit_rate > 0) w.key("bit_rate").value(p.bit_rate);
  if (p.frame_rate > 0) w.key("frame_rate").value(std::round(p.frame_rate * 1000) / 1000);
  if (!p.container.empty()) w.key("container").value(p.container);
}

// ---- pages -----------------------------------------------------------------------------------------

struct PageSize {
  double w = 0, h = 0;
  int rotation = 0;
};

double parse_double(std::string_view s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// `pdfinfo -f 1 -l N` lines: "Pages:          12", "Page    3 size: 612 x 792 pts (letter)", "Page    3 rot:  90".
std::vector<PageSize> parse_pdfinfo(std::string_view out, int& pages) {
  std::vector<PageSize> sizes;
  pages = 0;
  while (!out.empty()) {
    auto nl = out.find('\n');
    std::string_view line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    if (line.rfind("Pages:", 0) == 0) {
      auto v = line.substr(6);
      v.remove_prefix(std::min(v.find_first_not_of(' '), v.size()));
      std::from_chars(v.data(), v.data() + v.size(), pages);
      continue;
    }
    if (line.rfind("Page ", 0) != 0) continue;
    auto rest = line.substr(5);
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    int n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || n < 1 || n > 1'000'000) continue;
    rest = rest.substr(static_cast<std::size_t>(end - rest.data()));
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    if (sizes.size() < static_cast<std::size_t>(n)) sizes.resize(static_cast<std::size_t>(n));
    PageSize& ps = sizes[static_cast<std::size_t>(n - 1)];
    if (rest.rfind("size:", 0) == 0) {
      rest.remove_prefix(5);
      rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
      auto x = rest.find(" x ");
      if (x == std::string_view::npos) continue;
      ps.w = parse_double(rest.substr(0, x));
      auto hs = rest.substr(x + 3);
      ps.h = parse_double(hs.substr(0, hs.find(' ')));
    } else if (rest.rfind("rot:", 0) == 0) {
      rest.remove_prefix(4);
      rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
      int rot = 0;
      std::from_chars(rest.data(), rest.data() + rest.size(), rot);
      ps.rotation = ((rot % 360) + 360) % 360;
    }
  }
  return sizes;
}

// Renders every page of `pdf` into out_dir as 000001.png …, each fitted into the page box with its
// own aspect ratio. Runs pdftoppm on chunks of pages of one target size, so memory stays that of
// one page whatever the page count, and progress moves per chunk. Progress from `from` to 100.
Result<std::vector<std::string>> render_pages(const ConvertContext& c, const std::string& pdf, int from) {
  VC_ASSIGN(auto info, run_tool(c, {"pdfinfo", "-f", "1", "-l", "1000000", pdf}, {}, 64 << 20));
  if (!info.ok()) return tool_failed(info, "the PDF cannot be read");
  int pages = 0;
  auto sizes = parse_pdfinfo(info.out, pages);
  if (pages <= 0) return make_error(ErrorCode::invalid, "the PDF has no pages");
  if (pages > 100'000) return make_error(ErrorCode::invalid, fmt::format("the PDF has {} pages; at most 100000", pages));
  sizes.resize(static_cast<std::size_t>(pages));
  // Each pdftoppm run opens and parses the whole file again: few runs for speed, enough for progress
  // (at most 8 runs of at least 25 pages); memory is one page's either way.
  const int chunk = std::clamp((pages + 7) / 8, 25, 1000);
  std::vector<std::string> files;
  files.reserve(static_cast<std::size_t>(pages));
  const fs::path scratch = fs::path(c.work_dir) / "pages";
  int first = 1;
  while (first <= pages) {
    auto target = [&](int page) {
      const PageSize& p = sizes[static_cast<std::size_t>(page - 1)];
      double w = p.w > 0 ? p.w : 612, h = p.h > 0 ? p.h : 792;
      if (p.rotation % 180) std::swap(w, h);
      return fit_box(w, h, c.options->page_width, c.options->page_height);
    };
    const auto size = target(first);
    int last = first;
    while (last < pages && last - first + 1 < chunk && target(last + 1) == size) ++last;
    std::error_code ec;
    fs::remove_all(scratch, ec);
    fs::create_directories(scratch, ec);
    if (ec) return make_error(ErrorCode::unavailable, "cannot create " + scratch.string() + ": " + ec.message());
    VC_ASSIGN(auto r, run_tool(c, {"pdftoppm", "-png", "-f", std::to_string(first), "-l", std::to_string(last),
                                   "-scale-to-x", std::to_string(size.first), "-scale-to-y",
                                   std::to_string(size.second), pdf, (scratch / "p").string()}));
    if (!r.ok()) return tool_failed(r, fmt::format("page {} of the PDF cannot be rendered", first));
    // pdftoppm names them p-<n>.png with as many digits as the page count has.
    std::map<int, fs::path> made;
    for (const auto& e : fs::directory_iterator(scratch, ec)) {
      const std::string n = e.path().filename().string();
      if (n.size() < 7 || n.rfind("p-", 0) != 0 || n.substr(n.size() - 4) != ".png") continue;
      int num = 0;
      auto [end, perr] = std::from_chars(n.data() + 2, n.data() + n.size() - 4, num);
      if (perr == std::errc() && end == n.data() + n.size() - 4) made[num] = e.path();
    }
    for (int p = first; p <= last; ++p) {
      auto it = made.find(p);
      if (it == made.end()) return make_error(ErrorCode::invalid, fmt::format("page {} of the PDF was not rendered", p));
      std::string name = fmt::format("{:06}.png", p);
      fs::rename(it->second, fs::path(c.out_dir) / name, ec);
      if (ec) return make_error(ErrorCode::unavailable, "cannot move a page image: " + ec.message());
      files.push_back(std::move(name));
    }
    report(c, from + (100 - from) * last / pages);
    first = last + 1;
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return files;
}

Result<Conversion> paged(const ConvertContext& c, const std::string& pdf, int from, JsonWriter& meta) {
  Conversion out;
  VC_ASSIGN(out.files, render_pages(c, pdf, from));
  out.thumbnail = make_thumbnail(c, (fs::path(c.out_dir) / out.files.front()).string());
  meta.key("pages").value(static_cast<std::int64_t>(out.files.size()));
  meta.key("page_box").value(fmt::format("{}x{}", c.options->page_width, c.options->page_height));
  meta.key("thumbnail").value(out.thumbnail);
  out.metadata_json = std::move(meta.end_object()).str();
  return out;
}

Result<Conversion> convert_pdf(const ConvertContext& c) {
  JsonWriter meta;
  meta.begin_object();
  return paged(c, c.source, 0, meta);
}

Result<Conversion> convert_office(const ConvertContext& c) {
  // LibreOffice wants a name with the right extension, a profile of its own (one instance per job:
  // two conversions sharing a profile block each other) and writes <stem>.pdf into --outdir.
  const std::string ext = office_extension(c.mime);
  const fs::path input = fs::path(c.work_dir) / ("source." + ext);
  std::error_code ec;
  fs::create_symlink(c.source, input, ec);
  if (ec) return make_error(ErrorCode::unavailable, "cannot prepare the document: " + ec.message());
  const fs::path pdf_dir = fs::path(c.work_dir) / "pdf";
  fs::create_directories(pdf_dir, ec);
  const std::string profile = "file://" + (fs::absolute(fs::path(c.work_dir)) / "lo-profile").string();
  report(c, 1);
  VC_ASSIGN(auto r, run_tool(c, {"soffice", "--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck",
                                 "--nodefault", "-env:UserInstallation=" + profile, "--convert-to", "pdf", "--outdir",
                                 pdf_dir.string(), input.string()}));
  const fs::path pdf = pdf_dir / "source.pdf";
  if (!r.ok() || !fs::exists(pdf, ec)) {
    if (r.timed_out || r.cancelled || r.signal) return tool_failed(r, "LibreOffice did not finish");
    return make_error(ErrorCode::invalid,
                      fmt::format("LibreOffice cannot convert this {} file: {}", ext,
                                  r.ok() ? "it wrote no PDF (damaged or not a document?)" : r.describe()));
  }
  report(c, 30);
  JsonWriter meta;
  meta.begin_object().key("converted_from").value(ext);
  return paged(c, pdf.string(), 30, meta);
}

Result<Conversion> convert_folder(const ConvertContext& c) {
  ArchiveLimits limits;
  limits.max_entries = c.options->archive_max_entries;
  limits.max_expanded_bytes = c.options->archive_max_bytes;
  VC_ASSIGN(auto report_, extract_zip_images(c.source, c.out_dir, limits, [&](int p) { report(c, p * 9 / 10); }));
  Conversion out;
  for (auto& img : report_.images) {
    out.files.push_back(fs::path(img.file).filename().string());
    out.names.push_back(std::move(img.path));
  }
  out.thumbnail = make_thumbnail(c, (fs::path(c.out_dir) / out.files.front()).string());
  JsonWriter meta;
  meta.begin_object();
  meta.key("images").value(static_cast<std::int64_t>(out.files.size()));
  meta.key("skipped").value(report_.skipped);
  meta.key("expanded_bytes").value(report_.expanded_bytes);
  meta.key("thumbnail").value(out.thumbnail);
  out.metadata_json = std::move(meta.end_object()).str();
  return out;
}

Result<Conversion> convert_image(const ConvertContext& c) {
  VC_ASSIGN(auto p, probe(c, c.source));
  Conversion out;
  out.thumbnail = make_thumbnail(c, c.source);
  JsonWriter meta;
  meta.begin_object();
  write_probe(meta, p);
  meta.key("thumbnail").value(out.thumbnail);
  out.metadata_json = std::move(meta.end_object()).str();
  return out;
}

// Why a video needs a rendition under the profile; empty when it plays well as it is.
std::vector<std::string> rendition_reasons(const MediaProbe& p, bool faststart, const PipelineOptions& o) {
  std::vector<std::string> why;
  if (!p.has_video) return why;
  if (p.video_codec != "h264") why.push_back(fmt::format("video codec {} (players want H.264)", p.video_codec));
  else if (!p.pixel_format.empty() && p.pixel_format != "yuv420p" && p.pixel_format != "yuvj420p")
    why.push_back(fmt::format("pixel format {} (players want yuv420p)", p.pixel_format));
  if (!p.audio_codec.empty() && p.audio_codec != "aac" && p.audio_codec != "mp3")
    why.push_back(fmt::format("audio codec {} (players want AAC)", p.audio_codec));
  const int short_side = std::min(p.display_width(), p.display_height());
  if (short_side > o.video.max_height)
    why.push_back(fmt::format("resolution {}x{} above the profile's {}p", p.display_width(), p.display_height(),
                              o.video.max_height));
  if (o.video.max_bitrate > 0 && p.bit_rate > o.video.max_bitrate)
    why.push_back(fmt::format("bitrate {} kbit/s above the profile's {}", p.bit_rate / 1000, o.video.max_bitrate / 1000));
  if (p.container.find("mp4") == std::string::npos && p.container.find("mov") == std::string::npos)
    why.push_back(fmt::format("container {} (players want MP4)", p.container));
  else if (!faststart)
    why.push_back("the moov atom is at the end (playback waits for the whole file)");
  return why;
}

Result<Conversion> convert_av(const ConvertContext& c) {
  VC_ASSIGN(auto p, probe(c, c.source));
  if (!p.has_video && !p.has_audio) return make_error(ErrorCode::invalid, "the file has no audio or video stream");
  const bool faststart = mp4_faststart(c.source);
  report(c, 5);
  Conversion out;
  if (p.has_video) out.thumbnail = make_thumbnail(c, c.source, p.duration_s > 0 ? p.duration_s * 0.1 : 0);
  else out.thumbnail = make_waveform(c, c.source);
  report(c, 10);
  std::vector<std::string> why;
  if (c.kind == MediaKind::video && (c.options->optimize_videos || c.optimize)) {
    why = rendition_reasons(p, faststart, *c.options);
    if (why.empty() && c.optimize) why.push_back("asked for");
  }
  std::optional<MediaProbe> made;
  if (!why.empty()) {
    const fs::path target = fs::path(c.out_dir) / "rendition.mp4";
    // Only the moov atom's place is wrong: moving it is a copy, not an encode.
    const bool remux_only = why.size() == 1 && why.front().rfind("the moov atom", 0) == 0;
    std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", c.source,
                                     "-map", "0:v:0", "-map", "0:a:0?"};
    if (remux_only) {
      argv.insert(argv.end(), {"-c", "copy"});
    } else {
      const int h = c.options->video.max_height;
      // The short side at most max_height, either orientation, even sizes.
      const std::string scale = fmt::format(
          "scale='if(gt(iw,ih),-2,min(iw,{0}))':'if(gt(iw,ih),min(ih,{0}),-2)'", h);
      argv.insert(argv.end(), {"-vf", scale, "-c:v", "libx264", "-preset", c.options->video.preset, "-crf",
                               std::to_string(c.options->video.crf), "-pix_fmt", "yuv420p"});
      if (c.options->video.max_bitrate > 0)
        argv.insert(argv.end(), {"-maxrate", std::to_string(c.options->video.max_bitrate), "-bufsize",
                                 std::to_string(c.options->video.max_bitrate * 2)});
      argv.insert(argv.end(), {"-c:a", "aac", "-b:a", fmt::format("{}k", c.options->video.audio_bitrate_k)});
    }
    argv.insert(argv.end(), {"-movflags", "+faststart", "-progress", "pipe:1", "-nostats", target.string()});
    const double total_us = p.duration_s * 1e6;
    auto on_line = [&](std::string_view line) {
      if (total_us <= 0 || line.rfind("out_time_us=", 0) != 0) return;
      double us = parse_double(line.substr(12));
      if (us > 0) report(c, 10 + static_cast<int>(85 * std::min(1.0, us / total_us)));
    };
    VC_ASSIGN(auto r, run_tool(c, argv, on_line, 64 << 10));
    if (!r.ok()) return tool_failed(r, "the rendition could not be made");
    VC_ASSIGN(auto rp, probe(c, target.string()));
    made = rp;
    out.rendition = true;
  }
  JsonWriter meta;
  meta.begin_object();
  write_probe(meta, p);
  if (c.kind == MediaKind::video) meta.key("faststart").value(faststart);
  meta.key("thumbnail").value(out.thumbnail);
  if (made) {
    std::error_code ec;
    meta.key("rendition").begin_object();
    meta.key("size").value(static_cast<std::int64_t>(fs::file_size(fs::path(c.out_dir) / "rendition.mp4", ec)));
    meta.key("width").value(made->display_width()).key("height").value(made->display_height());
    meta.key("video_codec").value(made->video_codec);
    if (!made->audio_codec.empty()) meta.key("audio_codec").value(made->audio_codec);
    if (made->bit_rate > 0) meta.key("bit_rate").value(made->bit_rate);
    meta.key("reasons").begin_array();
    for (const auto& w : why) meta.value(w);
    meta.end_array().end_object();
  }
  // A rendition plays everywhere; without one, say why some players cannot.
  if (auto bad = undecodable_reason(p); bad && !made) {
    meta.key("undecodable").value(*bad);
    out.warning = *bad;
  }
  out.metadata_json = std::move(meta.end_object()).str();
  return out;
}

}  // namespace

std::pair<int, int> fit_box(double w, double h, int box_w, int box_h, bool even) {
  if (w <= 0 || h <= 0) return {box_w, box_h};
  const double scale = std::min(box_w / w, box_h / h);
  int fw = std::max(1, static_cast<int>(std::lround(w * scale)));
  int fh = std::max(1, static_cast<int>(std::lround(h * scale)));
  fw = std::min(fw, box_w);
  fh = std::min(fh, box_h);
  if (even) {
    fw = std::max(2, fw - fw % 2);
    fh = std::max(2, fh - fh % 2);
  }
  return {fw, fh};
}

std::string office_extension(std::string_view mime) {
  static const std::pair<std::string_view, std::string_view> kMap[] = {
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
      {"application/vnd.openxmlformats-officedocument.presentationml.slideshow", "ppsx"},
      {"application/vnd.oasis.opendocument.presentation", "odp"},
      {"application/vnd.ms-powerpoint", "ppt"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
      {"application/vnd.oasis.opendocument.text", "odt"},
      {"application/msword", "doc"},
      {"application/rtf", "rtf"},
  };
  for (const auto& [m, e] : kMap)
    if (m == mime) return std::string(e);
  return "pptx";
}

Result<Conversion> convert(const ConvertContext& c) {
  switch (c.kind) {
    case MediaKind::pdf: return convert_pdf(c);
    case MediaKind::pptx:
    case MediaKind::document: return convert_office(c);
    case MediaKind::zip: return convert_folder(c);
    case MediaKind::image: return convert_image(c);
    case MediaKind::video:
    case MediaKind::audio: return convert_av(c);
  }
  return make_error(ErrorCode::internal, "unknown media kind");
}

}  // namespace vc::pipeline
