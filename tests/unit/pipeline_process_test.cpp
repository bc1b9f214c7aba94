// Running external tools (libvideocontrol/src/pipeline/process.cpp): exit status, output capture,
// time limits and cancellation that kill the whole process group, the missing-tool message, the
// working folder and environment, network isolation, and no leaked descriptors or zombies.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/process.hpp"
#include "test_support.hpp"

using namespace vc;
using namespace std::chrono_literals;
using pipeline::ProcessOptions;
using pipeline::ProcessResult;

namespace {

ProcessOptions sh(const test::TempDir& dir, const std::string& script) {
  ProcessOptions o;
  o.argv = {"sh", "-c", script};
  o.work_dir = dir.path().string();
  return o;
}

ProcessResult run_ok(const ProcessOptions& o) {
  auto r = pipeline::run_process(o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(*r);
}

// Dead: gone, or a zombie waiting for a reaper (PID 1 in a container may never reap).
bool dead(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && (line[paren + 2] == 'Z' || line[paren + 2] == 'X');
}

bool dies_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (dead(pid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return dead(pid);
}

std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace

TEST_CASE("exit codes, signals and describe()") {
  test::TempDir dir;
  auto ok = run_ok(sh(dir, "exit 0"));
  CHECK(ok.ok());
  CHECK(ok.exit_code == 0);
  CHECK(ok.signal == 0);
  CHECK(ok.max_rss_kb > 0);

  auto three = run_ok(sh(dir, "echo 'first problem' >&2; echo '  Conversion failed!  ' >&2; echo >&2; exit 3"));
  CHECK_FALSE(three.ok());
  CHECK(three.exit_code == 3);
  CHECK(three.describe() == "exit code 3: Conversion failed!");

  CHECK(run_ok(sh(dir, "exit 1")).describe() == "exit code 1");

  auto killed = run_ok(sh(dir, "kill -9 $$"));
  CHECK_FALSE(killed.ok());
  CHECK(killed.signal == 9);
  CHECK(killed.exit_code == -1);
  CHECK(killed.describe() == "killed by signal 9");

  // The reason is one printable line of at most 300 bytes, cut on a character boundary.
  auto long_line = run_ok(sh(dir, "printf 'x%.0s' $(seq 1 299) >&2; printf '\\303\\251\\303\\251\\tend\\r' >&2; exit 2"));
  const std::string d = long_line.describe();
  CHECK(d.starts_with("exit code 2: xxx"));
  CHECK(d.size() == std::string("exit code 2: ").size() + 299);  // "é" would go past 300 bytes
}

TEST_CASE("stdout is captured up to the limit and handed over line by line") {
  test::TempDir dir;
  auto o = sh(dir, "printf 'one\\ntwo\\n\\nthree'");
  std::vector<std::string> lines;
  o.on_stdout_line = [&](std::string_view line) { lines.emplace_back(line); };
  auto r = run_ok(o);
  CHECK(r.out == "one\ntwo\n\nthree");
  CHECK(lines == std::vector<std::string>{"one", "two", "", "three"});

  // Past max_stdout the output is read and dropped (the tool is never blocked on a full pipe), but
  // lines still reach the callback.
  auto big = sh(dir, "i=0; while [ $i -lt 3000 ]; do echo progress=$i; i=$((i+1)); done; head -c 300000 /dev/zero");
  big.max_stdout = 1000;
  std::size_t count = 0;
  std::string last;
  big.on_stdout_line = [&](std::string_view line) {
    ++count;
    if (line.starts_with("progress=")) last = line;
  };
  auto b = run_ok(big);
  CHECK(b.ok());
  CHECK(b.out.size() == 1000);
  CHECK(b.out.starts_with("progress=0\nprogress=1\n"));
  CHECK(last == "progress=2999");
  CHECK(count == 3001);  // the zeros come as one last line without '\n'
}

TEST_CASE("only the end of stderr is kept") {
  test::TempDir dir;
  auto o = sh(dir, "i=0; while [ $i -lt 5000 ]; do echo line$i >&2; i=$((i+1)); done; exit 1");
  o.max_stderr_tail = 100;
  auto r = run_ok(o);
  CHECK(r.exit_code == 1);
  CHECK(r.err_tail.size() == 100);
  CHECK(r.err_tail.ends_with("line4998\nline4999\n"));
  CHECK(r.describe() == "exit code 1: line4999");

  o.max_stderr_tail = 0;
  CHECK(run_ok(o).err_tail.empty());
}

TEST_CASE("a time limit kills the whole process group, grandchildren included") {
  test::TempDir dir;
  auto o = sh(dir, "sleep 30 & echo $!; sleep 30");
  o.timeout = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_ok(o);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 2s);
  CHECK(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK(r.signal == SIGTERM);
  CHECK(r.elapsed >= 300ms);
  CHECK(r.describe() == "timed out after 300 ms");
  const pid_t grandchild = std::atoi(r.out.c_str());
  REQUIRE(grandchild > 0);
  CHECK(dies_within(grandchild, 1s));

  // A tool that ignores SIGTERM gets SIGKILL after the grace period.
  auto stubborn = sh(dir, "trap '' TERM; sleep 30 & echo $!; sleep 30");
  stubborn.timeout = 200ms;
  stubborn.kill_grace = 300ms;
  const auto t1 = std::chrono::steady_clock::now();
  auto s = run_ok(stubborn);
  CHECK(std::chrono::steady_clock::now() - t1 < 2s);
  CHECK(s.timed_out);
  CHECK(s.signal == SIGKILL);
  CHECK(s.elapsed >= 500ms);
  const pid_t stubborn_child = std::atoi(s.out.c_str());
  REQUIRE(stubborn_child > 0);
  CHECK(dies_within(stubborn_child, 1s));

  ProcessResult long_limit;
  long_limit.timed_out = true;
  long_limit.time_limit = 30'000ms;
  CHECK(long_limit.describe() == "timed out after 30 s");
  long_limit.time_limit = 1'500ms;
  CHECK(long_limit.describe() == "timed out after 1.5 s");
}

TEST_CASE("descendants left behind by a tool that exited are killed too") {
  test::TempDir dir;
  // The background sleep keeps stdout open; it must not hold the call up, nor survive it.
  auto o = sh(dir, "sleep 30 & echo $!");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_ok(o);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(r.ok());
  const pid_t orphan = std::atoi(r.out.c_str());
  REQUIRE(orphan > 0);
  CHECK(dies_within(orphan, 1s));
}

TEST_CASE("the cancel flag stops the tool") {
  test::TempDir dir;
  std::atomic<bool> cancel{false};
  auto o = sh(dir, "sleep 30");
  o.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_ok(o);
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
  CHECK(r.cancelled);
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK(r.describe() == "cancelled");

  // Already set: the tool is stopped at once.
  auto again = run_ok(o);
  CHECK(again.cancelled);
  CHECK(again.elapsed < 1000ms);
}

TEST_CASE("an exception from the line callback stops the tool and reaches the caller") {
  test::TempDir dir;
  auto o = sh(dir, "echo $$; sleep 30");
  pid_t pid = 0;
  o.on_stdout_line = [&](std::string_view line) {
    pid = std::atoi(std::string(line).c_str());
    throw std::runtime_error("stop");
  };
  CHECK_THROWS_AS((void)pipeline::run_process(o), std::runtime_error);
  REQUIRE(pid > 0);
  CHECK(dead(pid));
}

TEST_CASE("a missing tool is unavailable, naming its Debian package") {
  test::TempDir dir;
  CHECK(pipeline::tool_missing_hint("pdftoppm") == "pdftoppm is not installed (Debian package poppler-utils)");
  CHECK(pipeline::tool_missing_hint("/usr/bin/soffice") ==
        "soffice is not installed (Debian package libreoffice-impress-nogui)");
  CHECK(pipeline::tool_missing_hint("ffprobe") == "ffprobe is not installed (Debian package ffmpeg)");
  CHECK(pipeline::tool_missing_hint("frobnicate") == "frobnicate is not installed");

  ProcessOptions o;
  o.work_dir = dir.path().string();
  o.argv = {"vc-no-such-tool-here"};
  auto r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message == "vc-no-such-tool-here is not installed");

  // A path that does not exist: found out by the child's exec, reported the same way.
  o.argv = {"/nonexistent/bin/ffprobe", "-version"};
  r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message == "ffprobe is not installed (Debian package ffmpeg)");

  // Not executable.
  std::ofstream(dir.file("script.sh")) << "#!/bin/sh\necho hi\n";
  o.argv = {dir.file("script.sh")};
  r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("Permission denied") != std::string::npos);

  CHECK(pipeline::tool_available("sh"));
  CHECK(pipeline::tool_available("/bin/sh"));
  CHECK_FALSE(pipeline::tool_available("vc-no-such-tool-here"));
  CHECK_FALSE(pipeline::tool_available(dir.file("script.sh")));
  CHECK_FALSE(pipeline::tool_available(""));
}

TEST_CASE("bad options are invalid") {
  test::TempDir dir;
  ProcessOptions o;
  o.work_dir = dir.path().string();
  auto r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);

  o = sh(dir, "true");
  o.work_dir = dir.file("missing");
  r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);

  o = sh(dir, "true");
  o.env = {{"A=B", "c"}};
  r = pipeline::run_process(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
}

TEST_CASE("the tool runs in work_dir with a minimal environment and stdin at /dev/null") {
  test::TempDir dir;
  ::setenv("VC_TEST_PARENT_SECRET", "hunter2", 1);
  auto o = sh(dir,
              "pwd; echo \"$HOME\"; echo \"$TMPDIR\"; echo \"$LANG\"; echo \"$EXTRA\"; "
              "echo \"${VC_TEST_PARENT_SECRET:-unset}\"; cat; echo end; touch made-here");
  o.env = {{"EXTRA", "yes"}, {"LANG", "en_GB.UTF-8"}};
  auto r = run_ok(o);
  ::unsetenv("VC_TEST_PARENT_SECRET");
  const std::string d = std::filesystem::canonical(dir.path()).string();
  CHECK(r.out == d + "\n" + dir.path().string() + "\n" + dir.path().string() + "\nen_GB.UTF-8\nyes\nunset\nend\n");
  CHECK(std::filesystem::exists(dir.path() / "made-here"));

  o = sh(dir, "echo \"$LANG\"");
  CHECK(run_ok(o).out == "C.UTF-8\n");
}

TEST_CASE("no descriptor of the caller reaches the tool, and none leaks or lingers") {
  test::TempDir dir;
  // A descriptor opened without O_CLOEXEC, as a careless library might.
  const int inherited = ::open("/dev/null", O_RDONLY);
  REQUIRE(inherited > 2);
  auto r = run_ok(sh(dir, "if [ -e /proc/$$/fd/" + std::to_string(inherited) + " ]; then echo open; else echo closed; fi"));
  CHECK(r.out == "closed\n");
  ::close(inherited);

  const std::size_t before = open_fd_count();
  std::vector<pid_t> children;
  auto remember = [&](const ProcessResult& p) { children.push_back(std::atoi(p.out.c_str())); };
  for (int i = 0; i < 5; ++i) {
    remember(run_ok(sh(dir, "echo $$; echo err >&2; exit 1")));
    auto timeout = sh(dir, "echo $$; sleep 5");
    timeout.timeout = 1000ms;  // room for the shell to start and echo on a loaded machine
    remember(run_ok(timeout));
    ProcessOptions missing;
    missing.argv = {"/nonexistent/tool"};
    missing.work_dir = dir.path().string();
    (void)pipeline::run_process(missing);
  }
  CHECK(open_fd_count() == before);
  // Every child was reaped: none is left to wait for.
  for (pid_t child : children) {
    if (child <= 0) continue;  // killed before it could say its pid (a very slow start): nothing to check
    CHECK(::waitpid(child, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
  }
}

TEST_CASE("network isolation is reported, and leaves only the loopback interface") {
  test::TempDir dir;
  auto o = sh(dir, "cat /proc/net/dev");
  auto r = run_ok(o);
  if (::geteuid() == 0) CHECK(r.network_isolated);  // root can always make a network namespace
  if (r.network_isolated) {
    std::size_t interfaces = 0;
    std::string_view rest = r.out;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || line.find('|') != std::string_view::npos) continue;  // headers
      std::string_view name = line.substr(0, colon);
      while (name.starts_with(' ')) name.remove_prefix(1);
      CHECK(name == "lo");
      ++interfaces;
    }
    CHECK(interfaces == 1);
  } else {
    MESSAGE("this kernel refuses network namespaces here: tools run with the host's network");
  }

  o.isolate_network = false;
  auto open = run_ok(o);
  CHECK_FALSE(open.network_isolated);
  CHECK(open.ok());
}

TEST_CASE("a tool can run at a lower CPU priority than the server") {
  test::TempDir dir;
  // Field 19 of /proc/self/stat is the nice value; the command name (field 2) has no spaces here.
  auto o = sh(dir, "read -r line < /proc/self/stat; set -- $line; shift 18; echo $1");
  o.nice = 19;
  auto r = run_ok(o);
  CHECK(r.out == "19\n");
  o.nice = 0;
  r = run_ok(o);
  CHECK(r.out == std::to_string(::getpriority(PRIO_PROCESS, 0)) + "\n");
}
