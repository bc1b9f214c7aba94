// Running an external tool (pdftoppm, soffice, ffmpeg, ffprobe) for the content pipeline: in its own
// process group and session, in a working folder of the job's, with a time limit after which the
// whole group is killed (SIGTERM, then SIGKILL after a grace period), without network where the
// kernel allows it (a new network namespace), and killed with the server (PR_SET_PDEATHSIG).
// Private to the library.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::pipeline {

struct ProcessOptions {
  std::vector<std::string> argv;               // argv[0] is looked up in PATH when it has no '/'
  std::string work_dir;                        // cwd, and HOME/TMPDIR of the tool; must exist
  std::chrono::milliseconds timeout{0};        // 0 = none
  std::chrono::milliseconds kill_grace{2000};  // between SIGTERM and SIGKILL of the group
  bool isolate_network = true;                 // best effort: unshare(CLONE_NEWNET[|CLONE_NEWUSER])
  int nice = 0;                                // 1..19: run the tool at this lower CPU priority (0 = as the server)
  std::size_t max_stdout = 1 << 20;            // stdout kept in ProcessResult::out (the rest dropped)
  std::size_t max_stderr_tail = 4096;          // the last bytes of stderr kept
  // Extra environment (on top of a minimal one: PATH, HOME, TMPDIR, LANG=C.UTF-8).
  std::vector<std::pair<std::string, std::string>> env;
  // Called for every complete stdout line (without '\n') as it arrives, on the calling thread, e.g.
  // for `ffmpeg -progress pipe:1`. The line is also kept in `out` (within max_stdout).
  std::function<void(std::string_view line)> on_stdout_line;
  // Set from another thread to stop the tool (the group is killed as on timeout).
  const std::atomic<bool>* cancel = nullptr;
};

struct ProcessResult {
  int exit_code = -1;          // when the tool exited by itself
  int signal = 0;              // when a signal ended it (after a timeout/cancel: the one we sent)
  bool timed_out = false;
  bool cancelled = false;
  bool network_isolated = false;
  std::string out;             // stdout (at most max_stdout bytes)
  std::string err_tail;        // the end of stderr
  std::chrono::milliseconds elapsed{0};
  long max_rss_kb = 0;         // of the tool's process (getrusage of the reaped child)
  std::chrono::milliseconds time_limit{0};  // ProcessOptions::timeout, for describe()

  bool ok() const { return !timed_out && !cancelled && signal == 0 && exit_code == 0; }
  // One line for an error message: "exit code 1: <last stderr line>", "killed after 30 s time limit"…
  std::string describe() const;
};

// Errors: invalid (empty argv, missing work_dir), unavailable (the tool is not installed: "pdftoppm
// is not installed (Debian package poppler-utils)" style message via tool_missing_hint, or fork/pipe
// failed). A tool that runs and fails is not an error: see ProcessResult.
Result<ProcessResult> run_process(const ProcessOptions& options);

// Whether a program is found in PATH (or is an executable path).
bool tool_available(std::string_view program);

// "pdftoppm is not installed (Debian package poppler-utils)"; for a path, its last component is
// named; a tool without a known package gets "<name> is not installed".
std::string tool_missing_hint(std::string_view program);

}  // namespace vc::pipeline
