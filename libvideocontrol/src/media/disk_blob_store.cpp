#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "videocontrol/blob_store.hpp"

#include "videocontrol/text.hpp"
#include "videocontrol/id.hpp"

namespace vc {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kHeadBytes = 4096;

bool valid_hash(std::string_view h) {
  return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Error io_error(std::string_view what, int err) {
  return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, std::strerror(err)));
}

class DiskBlobWriter final : public BlobWriter {
 public:
  DiskBlobWriter(fs::path root, fs::path tmp, int fd, std::uint64_t max)
      : root_(std::move(root)), tmp_(std::move(tmp)), fd_(fd), max_(max), md_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(md_, EVP_sha256(), nullptr);
  }
  ~DiskBlobWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
    EVP_MD_CTX_free(md_);
  }

  Result<void> write(std::string_view bytes) override {
    if (finished_) return make_error(ErrorCode::internal, "write after finish");
    if (size_ + bytes.size() > max_)
      return make_error(ErrorCode::too_large, fmt::format("file is larger than the {} bytes allowed", max_));
    if (info_.head.size() < kHeadBytes) info_.head.append(bytes.substr(0, kHeadBytes - info_.head.size()));
    EVP_DigestUpdate(md_, bytes.data(), bytes.size());
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot write the upload to disk", errno);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      size_ += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  Result<BlobInfo> finish() override {
    if (finished_) return make_error(ErrorCode::internal, "finish called twice");
    finished_ = true;
    if (::fsync(fd_) != 0) return io_error("cannot flush the upload to disk", errno);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md_, md, &len);
    info_.hash = text::to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
    info_.size = static_cast<std::int64_t>(size_);
    // The bytes are on disk; the rest works by path. Closing now keeps a request with many files
    // (a directory upload) from holding a descriptor per file.
    ::close(fd_);
    fd_ = -1;
    return info_;
  }

  Result<void> commit() override {
    if (!finished_ || info_.hash.empty()) return make_error(ErrorCode::internal, "commit before finish");
    if (committed_) return {};
    const fs::path dir = root_ / "blobs" / info_.hash.substr(0, 2);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::unavailable, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    const fs::path final_path = dir / info_.hash;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    struct stat st {};
    if (::stat(final_path.c_str(), &st) == 0 && st.st_size == static_cast<off_t>(size_)) {
      ::unlink(tmp_.c_str());  // the same bytes are stored already
    } else if (::rename(tmp_.c_str(), final_path.c_str()) != 0) {
      return io_error("cannot move the upload into place", errno);
    }
    committed_ = true;
    // Make the rename durable: fsync the directory entry.
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return {};
  }

  std::string temporary_path() const override { return committed_ ? std::string() : tmp_.string(); }

 private:
  fs::path root_, tmp_;
  int fd_;
  std::uint64_t max_;
  EVP_MD_CTX* md_;
  std::uint64_t size_ = 0;
  BlobInfo info_;
  bool finished_ = false, committed_ = false;
};

class DiskBlobStore final : public BlobStore {
 public:
  explicit DiskBlobStore(fs::path root) : root_(std::move(root)) {}

  bool healthy() const override {
    for (const fs::path& dir : {root_ / "blobs", root_ / "tmp"}) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(dir.c_str(), W_OK | X_OK) != 0) return false;
    }
    return true;
  }

  Result<std::unique_ptr<BlobWriter>> create(std::uint64_t max_bytes) override {
    const fs::path tmp = root_ / "tmp" / ("upload-" + random_secret(24) + ".part");
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return io_error("cannot create a temporary upload file", errno);
    return std::unique_ptr<BlobWriter>(std::make_unique<DiskBlobWriter>(root_, tmp, fd, max_bytes));
  }

  Result<BlobFile> locate(std::string_view hash) override {
    if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "malformed blob hash");
    BlobFile f;
    f.path = (root_ / "blobs" / std::string(hash.substr(0, 2)) / std::string(hash)).string();
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) return make_error(ErrorCode::not_found, "media bytes are missing");
    f.size = st.st_size;
    f.mtime_ms = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    return f;
  }

  Result<void> remove(std::string_view hash) override {
    if (!valid_hash(hash)) return make_error(ErrorCode::invalid, "malformed blob hash");
    const fs::path p = root_ / "blobs" / std::string(hash.substr(0, 2)) / std::string(hash);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("cannot delete media bytes", errno);
    return {};
  }

  Result<std::vector<StoredBlob>> list() override {
    std::vector<StoredBlob> out;
    std::error_code ec;
    for (fs::directory_iterator dirs(root_ / "blobs", ec), end; !ec && dirs != end; dirs.increment(ec)) {
      if (!dirs->is_directory(ec)) continue;
      std::error_code inner;
      for (fs::directory_iterator files(dirs->path(), inner); !inner && files != end; files.increment(inner)) {
        const std::string name = files->path().filename().string();
        if (!valid_hash(name)) continue;
        struct stat st {};
        if (::stat(files->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone meanwhile
        out.push_back({name, static_cast<std::int64_t>(st.st_size),
                       static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000});
      }
      if (inner) ec = inner;
    }
    if (ec) return make_error(ErrorCode::unavailable, fmt::format("cannot list the blob store: {}", ec.message()));
    return out;
  }

  Result<int> remove_leftovers() override {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ / "tmp", ec))
      if (e.path().extension() == ".part" && fs::remove(e.path(), ec)) ++n;
    return n;
  }

 private:
  fs::path root_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> make_disk_blob_store(const std::string& root) {
  std::error_code ec;
  for (const char* sub : {"blobs", "tmp"}) {
    fs::create_directories(fs::path(root) / sub, ec);
    if (ec)
      return make_error(ErrorCode::unavailable,
                        fmt::format("CONTENT_DIR: cannot create '{}/{}': {}", root, sub, ec.message()));
  }
  // Absolute and normalised, so the paths handed out are stable whatever the working directory.
  return std::unique_ptr<BlobStore>(std::make_unique<DiskBlobStore>(fs::absolute(fs::path(root), ec).lexically_normal()));
}

}  // namespace vc
