// vcctl's output: exit codes, errors on stderr, tables for people, JSON for programs, progress bars
// on a terminal only. Nothing here knows RapidJSON; json.hpp holds the parsing side.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vcctl {

// Documented in docs/cli.md; scripts depend on them, so they never change meaning.
constexpr int exit_ok = 0;
constexpr int exit_error = 1;         // anything else: a server error, a local I/O failure
constexpr int exit_usage = 2;         // bad arguments or input the server refused as invalid (400, 413, 415)
constexpr int exit_not_found = 3;     // 404
constexpr int exit_permission = 4;    // 401, 403: not signed in, or the role or key does not allow it
constexpr int exit_conflict = 5;      // 409: exists already, in use, changed meanwhile
constexpr int exit_unavailable = 6;   // no answer from the server, or 503
constexpr int exit_rate_limited = 7;  // 429: wait and try again

int exit_for_status(int http_status);

struct OutputOptions {
  bool json = false;
  bool quiet = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
};
OutputOptions& output();

// "vcctl: <message>" and, when given, an indented hint naming what to do, on stderr.
void error_line(std::string_view message, std::string_view hint = {});
// A confirmation for people ("Device lobby created."): stderr-free, on stdout, not with --json/--quiet.
void say(std::string_view text);

// A table with a header row, columns padded to their widest cell (display width of UTF-8 text).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  void print(std::FILE* out = stdout) const;
};

// A progress bar redrawn in place on stderr while it is a terminal; silent otherwise and with --quiet.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void update(std::uint64_t done, std::uint64_t total);
  void finish();
  bool shown() const { return enabled_; }

 private:
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  int last_permille_ = -1;
};

std::string human_bytes(std::uint64_t n);
std::size_t display_width(std::string_view utf8);

}  // namespace vcctl
