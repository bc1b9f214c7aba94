#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "../util/utf8.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace vc::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{100};               // the cancel flag is looked at least this often
constexpr milliseconds kDrainAfterExit{1000};    // reading pipes that an escaped descendant keeps open
constexpr std::size_t kMaxLine = 64 * 1024;      // longer stdout lines reach on_stdout_line cut short
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWake = 16;                // then back to the clock: a chatty tool cannot starve it
constexpr const char* kDefaultPath = "/usr/bin:/bin";

// What the child tells the parent on the status pipe, one record per event: a tag byte and an errno.
// The pipe is close-on-exec, so a successful exec ends it without a record.
enum StatusTag : char {
  kNetIsolated = 'N',
  kSetsidFailed = 'G',
  kChdirFailed = 'D',
  kStdioFailed = 'P',
  kExecFailed = 'X',
};
constexpr std::size_t kRecord = 1 + sizeof(int);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    // No retry on EINTR: Linux releases the descriptor even then, and a retry could close another's.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Error sys_error(std::string_view what, int err) {
  return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, std::strerror(err)));
}

// The child's descriptors must not be 0, 1 or 2 (the server may run with those closed): dup2 onto
// the standard ones would then clobber each other or keep close-on-exec.
bool move_above_stdio(Fd& fd) {
  if (fd.get() > 2) return true;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return false;
  fd = Fd(moved);
  return true;
}

bool make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  read_end = Fd(p[0]);
  write_end = Fd(p[1]);
  return move_above_stdio(read_end) && move_above_stdio(write_end);
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string parent_path_env() {
  const char* p = std::getenv("PATH");
  return p && *p ? std::string(p) : std::string(kDefaultPath);
}

// The executable a program name stands for, like execvp would find it; "" when there is none.
std::string find_in_path(std::string_view program, std::string_view path) {
  if (program.find('/') != std::string_view::npos) return executable_file(std::string(program)) ? std::string(program) : "";
  while (!path.empty()) {
    const auto colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    if (dir.empty()) continue;  // an empty entry means the cwd: never for a server
    std::string candidate = fmt::format("{}/{}", dir, program);
    if (executable_file(candidate)) return candidate;
  }
  return "";
}

std::string format_limit(milliseconds limit) {
  const auto ms = limit.count();
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

// The last non-empty line of a stderr tail, as one printable line of at most `max` bytes. '\r' ends
// a line too: ffmpeg redraws its progress line with it.
std::string last_line(std::string_view text, std::size_t max) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!text.empty()) {
    const auto cut = text.find_last_of("\r\n");
    std::string_view line = cut == std::string_view::npos ? text : text.substr(cut + 1);
    text = cut == std::string_view::npos ? std::string_view() : text.substr(0, cut);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    std::string out;
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t n = utf8::sequence_length(line, i);
      if (n == 0) {  // a stray byte (the tail may start inside a character)
        if (out.size() + 1 > max) break;
        out += '?';
        ++i;
        continue;
      }
      if (out.size() + n > max) break;
      const auto c = static_cast<unsigned char>(line[i]);
      if (n == 1 && (c < 0x20 || c == 0x7f))
        out += ' ';  // tabs, terminal escapes: keep the message on one line
      else
        out.append(line.substr(i, n));
      i += n;
    }
    return out;
  }
  return "";
}

// Everything the child needs, prepared before fork: after it the child may only make
// async-signal-safe calls (another thread may hold the allocator's lock at the moment of fork).
struct ChildPlan {
  const char* exe = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* work_dir = nullptr;
  int null_fd = -1, out_fd = -1, err_fd = -1, status_fd = -1;
  bool isolate_network = false;
  int nice = 0;
  pid_t parent = 0;
  const char* uid_map = nullptr;  // "<euid> <euid> 1": keeps the user's own id inside a new user namespace
  const char* gid_map = nullptr;
  int max_fd = 1024;              // for closing descriptors when close_range is missing
};

void child_report(int fd, char tag, int err) {
  char rec[kRecord];
  rec[0] = tag;
  std::memcpy(rec + 1, &err, sizeof err);
  ssize_t n;
  do n = ::write(fd, rec, sizeof rec);
  while (n < 0 && errno == EINTR);
}

void child_write_file(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n;
  do n = ::write(fd, text, std::strlen(text));
  while (n < 0 && errno == EINTR);
  ::close(fd);
}

[[noreturn]] void child_fail(const ChildPlan& p, char tag) {
  child_report(p.status_fd, tag, errno);
  ::_exit(127);
}

[[noreturn]] void child_main(const ChildPlan& p) {
  // The server's handlers and ignored signals must not carry into the tool (exec keeps SIG_IGN and
  // the mask). Signals stay blocked, as the parent left them for the fork, until dispositions are
  // back to default: a SIGTERM from a quick timeout must not run the server's own handler in here.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Own session and process group: the parent kills the whole group, grandchildren included, and a
  // terminal's signals never reach the tool.
  if (::setsid() < 0) child_fail(p, kSetsidFailed);

  if (p.isolate_network) {
    bool isolated = ::unshare(CLONE_NEWNET) == 0;
    if (!isolated && ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
      // Unprivileged: a user namespace gives the right to a network namespace. Map our own ids so
      // files in work_dir keep their owner as the tool sees it (best effort; unmapped works too).
      isolated = true;
      child_write_file("/proc/self/setgroups", "deny");
      child_write_file("/proc/self/uid_map", p.uid_map);
      child_write_file("/proc/self/gid_map", p.gid_map);
    }
    if (isolated) child_report(p.status_fd, kNetIsolated, 0);
  }

  // Die with the server. Strictly the signal comes when the forking *thread* ends, but run_process
  // holds that thread until the tool is reaped. Set after unshare (a credential change may clear it);
  // the parent may already be gone by now, and then nobody would send the signal.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != p.parent) ::_exit(127);

  // Conversions are batch work: below the server's own threads, so the API stays quick while a
  // PDF renders (best effort; a failure leaves the tool at the server's priority).
  if (p.nice > 0) (void)::setpriority(PRIO_PROCESS, 0, p.nice);

  if (::chdir(p.work_dir) != 0) child_fail(p, kChdirFailed);
  if (::dup2(p.null_fd, STDIN_FILENO) < 0 || ::dup2(p.out_fd, STDOUT_FILENO) < 0 ||
      ::dup2(p.err_fd, STDERR_FILENO) < 0)
    child_fail(p, kStdioFailed);

  // Nothing of the server's (sockets, database files) may reach the tool. Marking all close-on-exec
  // keeps the status pipe usable until the exec itself.
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
#endif
  {
    for (int fd = 3; fd < p.max_fd; ++fd)
      if (fd != p.status_fd) ::close(fd);
  }

  ::execve(p.exe, p.argv, p.envp);
  child_fail(p, kExecFailed);
}

// Blocks every signal on the calling thread for its lifetime (around fork, see child_main).
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

std::string tool_missing_hint(std::string_view program) {
  struct Hint {
    std::string_view tool, package;
  };
  static constexpr Hint kHints[] = {
      {"pdftoppm", "poppler-utils"}, {"pdfinfo", "poppler-utils"},
      {"soffice", "libreoffice-impress-nogui"}, {"libreoffice", "libreoffice-impress-nogui"},
      {"ffmpeg", "ffmpeg"}, {"ffprobe", "ffmpeg"},
  };
  const std::string_view name = base_name(program);
  for (const Hint& h : kHints)
    if (h.tool == name) return fmt::format("{} is not installed (Debian package {})", name, h.package);
  return fmt::format("{} is not installed", name);
}

bool tool_available(std::string_view program) {
  return !program.empty() && !find_in_path(program, parent_path_env()).empty();
}

std::string ProcessResult::describe() const {
  if (cancelled) return "cancelled";
  if (timed_out) return time_limit.count() > 0 ? "timed out after " + format_limit(time_limit) : "timed out";
  std::string d;
  if (signal != 0)
    d = fmt::format("killed by signal {}", signal);
  else if (exit_code >= 0)
    d = fmt::format("exit code {}", exit_code);
  else
    d = "ended in an unknown way";
  if (exit_code != 0) {
    const std::string line = last_line(err_tail, 300);
    if (!line.empty()) d += ": " + line;
  }
  return d;
}

Result<ProcessResult> run_process(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) return make_error(ErrorCode::invalid, "no program to run");
  for (const std::string& a : options.argv)
    if (a.find('\0') != std::string::npos) return make_error(ErrorCode::invalid, "a program argument contains NUL");
  struct stat st {};
  if (options.work_dir.empty() || ::stat(options.work_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ErrorCode::invalid, fmt::format("the work folder '{}' does not exist", options.work_dir));

  const std::string& program = options.argv[0];
  const std::string path_env = parent_path_env();
  const std::string exe = program.find('/') != std::string::npos ? program : find_in_path(program, path_env);
  if (exe.empty()) return make_error(ErrorCode::unavailable, tool_missing_hint(program));

  // A minimal environment: nothing of the server's (secrets in DATABASE_URL…) reaches the tool.
  std::vector<std::string> env = {"PATH=" + path_env, "HOME=" + options.work_dir, "TMPDIR=" + options.work_dir,
                                  "LANG=C.UTF-8"};
  for (const auto& [key, value] : options.env) {
    if (key.empty() || key.find_first_of("=") != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos)
      return make_error(ErrorCode::invalid, fmt::format("bad environment variable name '{}'", key));
    const std::string prefix = key + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
    env.push_back(prefix + value);
  }
  std::vector<char*> argv_ptrs, env_ptrs;
  for (const std::string& a : options.argv) argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  for (const std::string& e : env) env_ptrs.push_back(const_cast<char*>(e.c_str()));
  env_ptrs.push_back(nullptr);
  const std::string uid_map = fmt::format("{} {} 1", ::geteuid(), ::geteuid());
  const std::string gid_map = fmt::format("{} {} 1", ::getegid(), ::getegid());
  rlimit nofile {};
  int max_fd = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
    max_fd = static_cast<int>(std::clamp<rlim_t>(nofile.rlim_cur, 1024, 1 << 20));
  else if (nofile.rlim_cur == RLIM_INFINITY)
    max_fd = 1 << 20;

  Fd out_r, out_w, err_r, err_w, status_r, status_w;
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w) || !make_pipe(status_r, status_w))
    return sys_error(fmt::format("cannot create pipes for {}", program), errno);
  Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_fd.valid() || !move_above_stdio(null_fd)) return sys_error("cannot open /dev/null", errno);

  ChildPlan plan;
  plan.exe = exe.c_str();
  plan.argv = argv_ptrs.data();
  plan.envp = env_ptrs.data();
  plan.work_dir = options.work_dir.c_str();
  plan.null_fd = null_fd.get();
  plan.out_fd = out_w.get();
  plan.err_fd = err_w.get();
  plan.status_fd = status_w.get();
  plan.isolate_network = options.isolate_network;
  plan.nice = std::clamp(options.nice, 0, 19);
  plan.parent = ::getpid();
  plan.uid_map = uid_map.c_str();
  plan.gid_map = gid_map.c_str();
  plan.max_fd = max_fd;

  const auto start = Clock::now();
  pid_t pid;
  {
    BlockSignals blocked;
    pid = ::fork();
    if (pid == 0) child_main(plan);
  }
  if (pid < 0) return sys_error(fmt::format("cannot start {}", program), errno);
  // The child's ends: closed here so EOF arrives when the tool (and its descendants) are done.
  out_w.reset();
  err_w.reset();
  status_w.reset();
  null_fd.reset();
  // Woken by the exit itself (Linux 5.3+); without it the loop checks every few milliseconds.
#ifdef SYS_pidfd_open
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#else
  Fd pidfd;
#endif
  for (const Fd* fd : {&out_r, &err_r, &status_r}) ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);

  ProcessResult r;
  r.time_limit = options.timeout;
  std::string status_bytes, pending_line;
  std::exception_ptr callback_error;

  auto deliver_line = [&] {
    if (!options.on_stdout_line || callback_error) return;
    try {
      options.on_stdout_line(pending_line);
    } catch (...) {
      callback_error = std::current_exception();  // rethrown after the tool is stopped and reaped
    }
    pending_line.clear();
  };
  auto take_stdout = [&](std::string_view data) {
    if (r.out.size() < options.max_stdout) r.out.append(data.substr(0, options.max_stdout - r.out.size()));
    if (!options.on_stdout_line) return;
    while (!data.empty()) {
      const auto nl = data.find('\n');
      const std::string_view part = data.substr(0, nl);
      if (pending_line.size() < kMaxLine) pending_line.append(part.substr(0, kMaxLine - pending_line.size()));
      if (nl == std::string_view::npos) break;
      deliver_line();
      pending_line.clear();
      data.remove_prefix(nl + 1);
    }
  };
  auto take_stderr = [&](std::string_view data) {
    if (options.max_stderr_tail == 0) return;
    r.err_tail.append(data);
    // Trim in batches, not on every read.
    if (r.err_tail.size() > 2 * options.max_stderr_tail + kReadChunk)
      r.err_tail.erase(0, r.err_tail.size() - options.max_stderr_tail);
  };
  // Reads what a pipe has now; false at EOF (or an error), when the pipe is closed.
  std::vector<char> buf(kReadChunk);  // not on the stack: the caller's thread may have a small one
  auto drain = [&](Fd& fd, auto&& take) {
    for (int i = 0; i < kReadsPerWake; ++i) {
      const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n > 0) {
        take(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      fd.reset();  // EOF
      return;
    }
  };
  auto take_status = [&](std::string_view data) {
    if (status_bytes.size() < 16 * kRecord) status_bytes.append(data);
  };

  const auto deadline = start + options.timeout;
  bool exited = false, reaped = false, term_sent = false, kill_sent = false;
  Clock::time_point exited_at, kill_at;
  auto signal_group = [&](int sig) {
    ::kill(-pid, sig);
    ::kill(pid, sig);  // in case the child has not reached setsid() yet (the signal waits, blocked)
  };
  for (;;) {
    const auto now = Clock::now();
    if (!term_sent && !exited) {
      if (options.cancel && options.cancel->load(std::memory_order_relaxed))
        r.cancelled = true;
      else if (callback_error)
        r.cancelled = true;
      else if (options.timeout.count() > 0 && now >= deadline)
        r.timed_out = true;
      if (r.cancelled || r.timed_out) {
        term_sent = true;
        kill_at = now + options.kill_grace;
        signal_group(SIGTERM);
      }
    }
    if (term_sent && !kill_sent && !exited && now >= kill_at) {
      kill_sent = true;
      signal_group(SIGKILL);
    }
    if (!exited) {
      // WNOWAIT: the child stays a zombie, so its pid (and group id) cannot be reused while the
      // rest of the group is killed below.
      siginfo_t si {};
      if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
        if (si.si_pid == pid) exited = true;
      } else if (errno == ECHILD) {  // SIGCHLD ignored by the server: the kernel reaped it already
        exited = reaped = true;
      }
      if (exited) {
        exited_at = now;
        // Nothing may outlive the tool (soffice's helpers, a script's `cmd &`): they would keep
        // the pipes open and the job's folder busy.
        if (!reaped) ::kill(-pid, SIGKILL);
      }
    }
    const bool pipes_open = out_r.valid() || err_r.valid() || status_r.valid();
    if (exited && (!pipes_open || now - exited_at >= kDrainAfterExit)) break;

    auto until = [&](Clock::time_point t) {
      return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(t - now));
    };
    milliseconds wait = kTick;
    if (!term_sent && options.timeout.count() > 0) wait = std::min(wait, until(deadline));
    if (term_sent && !kill_sent) wait = std::min(wait, until(kill_at));
    if (exited) wait = std::min(wait, until(exited_at + kDrainAfterExit));
    if (!exited && !pidfd.valid() && !pipes_open) wait = std::min(wait, milliseconds(5));

    pollfd fds[4];
    Fd* owners[4];
    nfds_t n = 0;
    for (Fd* fd : {&out_r, &err_r, &status_r, &pidfd}) {
      if (!fd->valid() || (fd == &pidfd && exited)) continue;
      fds[n] = pollfd{fd->get(), POLLIN, 0};
      owners[n++] = fd;
    }
    const int ready = ::poll(fds, n, static_cast<int>(wait.count()));
    if (ready <= 0) continue;  // timeout, EINTR (or ENOMEM: try again on the next round)
    for (nfds_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      if (owners[i] == &out_r)
        drain(out_r, take_stdout);
      else if (owners[i] == &err_r)
        drain(err_r, take_stderr);
      else if (owners[i] == &status_r)
        drain(status_r, take_status);
      // pidfd: readable at exit, handled at the top of the loop
    }
  }
  if (!pending_line.empty()) deliver_line();  // a last line without '\n'

  int status = 0;
  rusage usage {};
  if (!reaped) {
    ::kill(-pid, SIGKILL);  // once more before the group id is released by reaping
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
  }
  r.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  if (!reaped) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    r.max_rss_kb = usage.ru_maxrss;
  }
  if (r.err_tail.size() > options.max_stderr_tail) r.err_tail.erase(0, r.err_tail.size() - options.max_stderr_tail);
  if (callback_error) std::rethrow_exception(callback_error);

  for (std::size_t i = 0; i + kRecord <= status_bytes.size(); i += kRecord) {
    int err = 0;
    std::memcpy(&err, status_bytes.data() + i + 1, sizeof err);
    switch (status_bytes[i]) {
      case kNetIsolated: r.network_isolated = true; break;
      case kExecFailed:
        if (err == ENOENT || err == ENOTDIR) return make_error(ErrorCode::unavailable, tool_missing_hint(program));
        return sys_error(fmt::format("cannot run {}", program), err);
      case kChdirFailed:
        return make_error(ErrorCode::invalid,
                          fmt::format("cannot enter the work folder '{}': {}", options.work_dir, std::strerror(err)));
      case kSetsidFailed: return sys_error(fmt::format("cannot start {} in its own session", program), err);
      case kStdioFailed: return sys_error(fmt::format("cannot connect {}'s output", program), err);
      default: break;
    }
  }
  return r;
}

}  // namespace vc::pipeline
