#include "output.hpp"

#include <algorithm>
#include <cinttypes>

namespace vcctl {

int exit_for_status(int s) {
  if (s >= 200 && s < 300) return exit_ok;
  switch (s) {
    case 400: case 413: case 415: case 422: return exit_usage;
    case 401: case 403: return exit_permission;
    case 404: return exit_not_found;
    case 409: return exit_conflict;
    case 429: return exit_rate_limited;
    case 502: case 503: case 504: return exit_unavailable;
    default: return exit_error;
  }
}

OutputOptions& output() {
  static OutputOptions o;
  return o;
}

void error_line(std::string_view message, std::string_view hint) {
  std::fprintf(stderr, "vcctl: %.*s\n", static_cast<int>(message.size()), message.data());
  if (!hint.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(hint.size()), hint.data());
}

void say(std::string_view text) {
  if (output().json || output().quiet) return;
  std::printf("%.*s\n", static_cast<int>(text.size()), text.data());
}

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;  // count code points, not bytes (Cyrillic is two bytes each)
  return n;
}

void Table::print(std::FILE* out) const {
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s.append(width[i] - display_width(cells[i]) + 2, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    std::fprintf(out, "%s\n", s.c_str());
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string human_bytes(std::uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 " B", n);
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

Progress::Progress(std::string label) : label_(std::move(label)), enabled_(output().stderr_tty && !output().quiet) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const int permille = total ? static_cast<int>(done * 1000 / total) : 1000;
  if (permille == last_permille_) return;
  last_permille_ = permille;
  const int width = 30, filled = permille * width / 1000;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %3d%% %s / %s", label_.c_str(), bar.c_str(), permille / 10, human_bytes(done).c_str(),
               human_bytes(total).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\n");
    drawn_ = false;
  }
}

}  // namespace vcctl
