#include "derived_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "videocontrol/log.hpp"

namespace vc::pipeline {
namespace {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const std::error_code& ec) {
  return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, ec.message()));
}

bool name_chars(std::string_view s, bool upper) {
  if (s.empty() || s.size() > 64 || s.front() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                    (upper && c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return true;
}

// fsync of a file or folder by path; errors reported.
Result<void> sync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::unavailable, fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error(ErrorCode::unavailable, fmt::format("cannot flush {}: {}", p.string(), std::strerror(err)));
  return {};
}

Result<void> write_file_synced(const fs::path& p, std::string_view bytes) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return make_error(ErrorCode::unavailable, fmt::format("cannot create {}: {}", p.string(), std::strerror(errno)));
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::unavailable, fmt::format("cannot write {}: {}", p.string(), std::strerror(err)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error(ErrorCode::unavailable, fmt::format("cannot flush {}: {}", p.string(), std::strerror(err)));
  return {};
}

}  // namespace

bool DerivedStore::valid_hash(std::string_view h) noexcept {
  return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}
bool DerivedStore::valid_profile(std::string_view p) noexcept { return name_chars(p, false); }
bool DerivedStore::valid_name(std::string_view n) noexcept { return name_chars(n, true); }

std::string DerivedStore::dir(std::string_view hash, std::string_view profile) const {
  return (fs::path(root_) / std::string(hash.substr(0, 2)) / std::string(hash) / std::string(profile)).string();
}

Result<std::string> DerivedStore::file(std::string_view hash, std::string_view profile, std::string_view name) const {
  if (!valid_hash(hash) || !valid_profile(profile) || !valid_name(name))
    return make_error(ErrorCode::invalid, "bad derived file reference");
  if (!published(hash, profile)) return make_error(ErrorCode::not_found, "not converted yet");
  const fs::path p = fs::path(dir(hash, profile)) / std::string(name);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return make_error(ErrorCode::not_found, fmt::format("no derived file '{}'", name));
  return p.string();
}

bool DerivedStore::published(std::string_view hash, std::string_view profile) const {
  if (!valid_hash(hash) || !valid_profile(profile)) return false;
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir(hash, profile)) / "manifest.json", ec);
}

Result<std::string> DerivedStore::manifest(std::string_view hash, std::string_view profile) const {
  if (!published(hash, profile)) return make_error(ErrorCode::not_found, "not converted yet");
  const fs::path p = fs::path(dir(hash, profile)) / "manifest.json";
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::unavailable, fmt::format("cannot read {}: {}", p.string(), std::strerror(errno)));
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (64u << 20)) break;  // a manifest lists at most some 100,000 short names
  }
  ::close(fd);
  return out;
}

Result<std::string> DerivedStore::make_work_dir(std::string_view job_id) const {
  if (!valid_name(job_id)) return make_error(ErrorCode::invalid, "bad job id for a work folder");
  const fs::path p = fs::path(root_) / "tmp" / std::string(job_id);
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) return io_error("cannot clear the work folder " + p.string(), ec);
  fs::create_directories(p, ec);
  if (ec) return io_error("cannot create the work folder " + p.string(), ec);
  return p.string();
}

void DerivedStore::remove_work_dir(std::string_view job_id) const {
  if (!valid_name(job_id)) return;
  std::error_code ec;
  fs::remove_all(fs::path(root_) / "tmp" / std::string(job_id), ec);
  if (ec) log_warn("cannot remove a conversion work folder", {{"job", std::string(job_id)}, {"error", ec.message()}});
}

Result<void> DerivedStore::publish(const std::string& out_dir, std::string_view hash, std::string_view profile,
                                   std::string_view manifest_json) const {
  if (!valid_hash(hash) || !valid_profile(profile)) return make_error(ErrorCode::invalid, "bad derived folder reference");
  std::error_code ec;
  // The outputs first (the tools closed them but did not flush), the manifest last.
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    VC_TRY(sync_path(entry.path(), false));
  }
  if (ec) return io_error("cannot list " + out_dir, ec);
  VC_TRY(write_file_synced(fs::path(out_dir) / "manifest.json", manifest_json));
  VC_TRY(sync_path(out_dir, true));
  const fs::path final_dir = dir(hash, profile);
  fs::create_directories(final_dir.parent_path(), ec);
  if (ec) return io_error("cannot create " + final_dir.parent_path().string(), ec);
  if (::rename(out_dir.c_str(), final_dir.c_str()) != 0) {
    const int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) {  // another worker published the same conversion first
      fs::remove_all(out_dir, ec);
      return {};
    }
    return make_error(ErrorCode::unavailable,
                      fmt::format("cannot publish {}: {}", final_dir.string(), std::strerror(err)));
  }
  return sync_path(final_dir.parent_path(), true);
}

Result<void> DerivedStore::remove_all(std::string_view hash) const {
  if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "bad hash");
  std::error_code ec;
  fs::remove_all(fs::path(root_) / std::string(hash.substr(0, 2)) / std::string(hash), ec);
  if (ec) return io_error("cannot remove derived files of " + std::string(hash), ec);
  return {};
}

std::vector<std::string> DerivedStore::work_dirs() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(root_) / "tmp", ec)) {
    auto name = entry.path().filename().string();
    if (valid_name(name)) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace vc::pipeline
