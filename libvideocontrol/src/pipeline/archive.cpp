// ZIP folders with libarchive: safe extraction of the images (limits checked while streaming, files
// created by number inside one directory descriptor) and packing of directory uploads.
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "pipeline/archive.hpp"

namespace vc::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlockBytes = 64 * 1024;
constexpr std::int64_t kRatioFloorBytes = 16ll << 20;  // small archives may compress well; bombs do not stay small
constexpr std::size_t kSniffBytes = 12;                // enough for every magic below (WebP: 12)

Error io_error(std::string_view what, int err) {
  return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, std::strerror(err)));
}

Error invalid(std::string message) { return make_error(ErrorCode::invalid, std::move(message)); }

std::string archive_message(archive* a) {
  const char* s = archive_error_string(a);
  return s && *s ? s : "unknown libarchive error";
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close(2) can report a failed write-back (NFS, quotas), so callers that wrote check it.
  int close() {
    const int r = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return r;
  }
  void reset(int fd) {
    close();
    fd_ = fd;
  }

 private:
  int fd_;
};

struct ReadArchive {
  archive* a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
};

struct WriteArchive {
  archive* a = archive_write_new();
  ~WriteArchive() { archive_write_free(a); }  // closes too, if still open
};

struct EntryGuard {
  archive_entry* e = archive_entry_new();
  ~EntryGuard() { archive_entry_free(e); }
};

// libarchive converts entry names to the multibyte charset of the calling thread's locale, and drops
// a name it cannot convert; a server that never called setlocale runs in "C" (ASCII), where every
// non-ASCII name would be lost. uselocale() switches the calling thread only, for the scope.
class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale() {
    static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (utf8) previous_ = ::uselocale(utf8);
  }
  ~ScopedUtf8Locale() {
    if (previous_) ::uselocale(previous_);
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  locale_t previous_ = nullptr;
};

struct ImageType {
  std::string_view mime, ext;
};

// The image formats a folder may hold, from their magic numbers. Content decides, not the entry's
// extension: the players are told the sniffed type.
std::optional<ImageType> sniff_image(std::string_view h) {
  auto starts = [&](std::string_view magic, std::size_t at = 0) {
    return h.size() >= at + magic.size() && h.substr(at, magic.size()) == magic;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return ImageType{"image/png", "png"};
  if (starts("\xff\xd8\xff")) return ImageType{"image/jpeg", "jpg"};
  if (starts("GIF87a") || starts("GIF89a")) return ImageType{"image/gif", "gif"};
  if (starts("RIFF") && starts("WEBP", 8)) return ImageType{"image/webp", "webp"};
  return std::nullopt;
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write an extracted image", errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

struct PendingImage {
  std::string path;  // normalised entry path
  std::string temp;  // "tmp-N" in dest_dir
  ImageType type;
  std::int64_t size = 0;
};

// One extraction: the limits and counters shared by all entries.
class Extractor {
 public:
  Extractor(archive* a, int dir_fd, std::int64_t archive_size, const ArchiveLimits& limits,
            const std::function<void(int)>& progress)
      : a_(a), dir_fd_(dir_fd), archive_size_(archive_size), limits_(limits), progress_(progress), buf_(kBlockBytes) {}

  Result<void> run() {
    for (;;) {
      archive_entry* entry = nullptr;
      const int r = archive_read_next_header(a_, &entry);
      if (r == ARCHIVE_EOF) break;
      // ARCHIVE_WARN leaves a usable entry (e.g. a name libarchive could not convert); the name check
      // below still judges the name.
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return invalid(fmt::format("the archive cannot be read as a ZIP file: {}", archive_message(a_)));
      VC_TRY(entry_(entry));
      report_progress();
    }
    if (progress_ && last_percent_ < 100) progress_(100);
    return {};
  }

  std::vector<PendingImage>& images() { return images_; }
  std::int64_t skipped() const { return skipped_; }
  std::int64_t expanded() const { return expanded_; }

 private:
  Result<void> entry_(archive_entry* entry) {
    if (++entries_ > limits_.max_entries)
      return invalid(fmt::format("the archive holds more than {} entries", limits_.max_entries));
    const char* raw = archive_entry_pathname_utf8(entry);
    if (!raw) raw = archive_entry_pathname(entry);
    // Both are null when libarchive could not convert the name: bytes that are not UTF-8 in an
    // entry without ZIP's UTF-8 flag (an old Windows archiver writing its OEM code page).
    if (!raw)
      return invalid(fmt::format("entry {} has a name that is not valid UTF-8; re-pack the folder with a current "
                                 "archiver (7-Zip, macOS, Windows 11)",
                                 entries_));
    auto checked = check_entry_name(raw);
    if (!checked) return std::move(checked).error();
    const std::string& name = *checked;

    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK || archive_entry_symlink(entry))
      return invalid(fmt::format("entry '{}' is a symbolic link; links are not allowed", name));
    if (archive_entry_hardlink(entry))
      return invalid(fmt::format("entry '{}' is a hard link; links are not allowed", name));
    if (type == AE_IFDIR) return {};
    if (type != AE_IFREG)
      return invalid(fmt::format("entry '{}' is a device, FIFO or socket; only files and folders are allowed", name));
    if (archive_entry_is_encrypted(entry))
      return invalid(fmt::format("entry '{}' is encrypted; password-protected archives are not supported", name));
    // A size in the header lets an oversized archive fail before anything is inflated; the header
    // may lie, so the streaming checks below stay the real ones.
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > limits_.max_expanded_bytes - expanded_)
      return too_much_expanded();

    // Junk and non-images are still read to their end: their bytes count toward the limits, so a
    // bomb cannot hide in a "__MACOSX/._x" or a ".txt" (libarchive would inflate it to skip it when
    // the sizes are in a trailing data descriptor).
    const bool junk = is_archive_junk(name);
    std::string head;  // the first bytes, until the type is known
    bool decided = junk;
    std::optional<ImageType> image;
    Fd out;
    std::int64_t entry_bytes = 0;

    auto decide = [&]() -> Result<void> {
      decided = true;
      image = sniff_image(head);
      if (!image) return {};
      if (entry_bytes > limits_.max_entry_bytes) return too_large_entry(name);
      PendingImage p{name, fmt::format("tmp-{}", images_.size() + 1), *image, 0};
      // By number, inside the directory descriptor, never following a link and never replacing a
      // file: the entry's name plays no part in where bytes go.
      out.reset(::openat(dir_fd_, p.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (out.get() < 0) return io_error("cannot create a file for an extracted image", errno);
      images_.push_back(std::move(p));
      return write_all(out.get(), head);
    };

    for (;;) {
      const la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
      if (n == 0) break;
      // Negative includes ARCHIVE_WARN, which is how a CRC mismatch is reported.
      if (n < 0) return invalid(fmt::format("entry '{}' cannot be read: {}", name, archive_message(a_)));
      expanded_ += n;
      entry_bytes += n;
      if (expanded_ > limits_.max_expanded_bytes) return too_much_expanded();
      if (expanded_ > kRatioFloorBytes && static_cast<double>(expanded_) > limits_.max_ratio * static_cast<double>(archive_size_))
        return invalid(fmt::format("compression ratio over {:g}:1 (a zip bomb?)", limits_.max_ratio));
      const std::string_view block(buf_.data(), static_cast<std::size_t>(n));
      if (!decided) {
        // Until kSniffBytes have arrived the bytes wait in `head` (libarchive may hand out short
        // blocks); that is at most one block.
        head.append(block);
        if (head.size() >= kSniffBytes) VC_TRY(decide());
      } else if (image) {
        if (entry_bytes > limits_.max_entry_bytes) return too_large_entry(name);
        VC_TRY(write_all(out.get(), block));
      }
      report_progress();
    }
    if (!decided) VC_TRY(decide());  // shorter than kSniffBytes
    if (!image) {
      ++skipped_;
      return {};
    }
    if (out.close() != 0) return io_error("cannot write an extracted image", errno);
    images_.back().size = entry_bytes;
    return {};
  }

  Error too_much_expanded() const {
    return invalid(fmt::format("the archive expands to more than {} bytes", limits_.max_expanded_bytes));
  }
  Error too_large_entry(const std::string& name) const {
    return invalid(fmt::format("entry '{}' expands to more than {} bytes", name, limits_.max_entry_bytes));
  }

  // By bytes of the archive file consumed. The seekable ZIP reader starts at the central directory
  // at the end, so the position can move backwards: only increases are reported.
  void report_progress() {
    if (!progress_ || archive_size_ <= 0) return;
    const std::int64_t pos = archive_filter_bytes(a_, -1);
    const int percent = static_cast<int>(std::clamp<std::int64_t>(pos * 100 / archive_size_, 0, 100));
    if (percent > last_percent_) {
      last_percent_ = percent;
      progress_(percent);
    }
  }

  archive* a_;
  int dir_fd_;
  std::int64_t archive_size_;
  const ArchiveLimits& limits_;
  const std::function<void(int)>& progress_;
  std::vector<char> buf_;
  std::vector<PendingImage> images_;
  std::int64_t entries_ = 0, skipped_ = 0, expanded_ = 0;
  int last_percent_ = -1;
};

}  // namespace

Result<ExtractReport> extract_zip_images(const std::string& archive_path, const std::string& dest_dir,
                                         const ArchiveLimits& limits, const std::function<void(int percent)>& progress) {
  struct stat st {};
  if (::stat(archive_path.c_str(), &st) != 0) return io_error(fmt::format("cannot read the archive '{}'", archive_path), errno);
  if (!S_ISREG(st.st_mode)) return invalid(fmt::format("'{}' is not a file", archive_path));

  Fd dir(::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return io_error(fmt::format("cannot open the extraction folder '{}'", dest_dir), errno);
  // The final names (000001.png…) are given by rename, which replaces: an empty folder guarantees
  // nothing but this extraction's own temporaries ("tmp-N", which never look like final names) is there.
  std::error_code ec;
  if (!fs::is_empty(dest_dir, ec) || ec)
    return make_error(ErrorCode::internal, fmt::format("the extraction folder '{}' is not empty", dest_dir));

  const ScopedUtf8Locale utf8_names;  // before the archive exists: libarchive caches the charset
  ReadArchive ar;
  if (!ar.a) return make_error(ErrorCode::internal, "libarchive: out of memory");
  // ZIP only (both the seekable reader, which trusts the central directory, and the streaming one):
  // no tar or other formats with links and devices as first-class members, no outer compression.
  archive_read_support_format_zip(ar.a);
  if (archive_read_open_filename(ar.a, archive_path.c_str(), kBlockBytes) != ARCHIVE_OK)
    return invalid(fmt::format("the archive cannot be read as a ZIP file: {}", archive_message(ar.a)));

  Extractor x(ar.a, dir.get(), static_cast<std::int64_t>(st.st_size), limits, progress);
  VC_TRY(x.run());

  std::vector<PendingImage>& pending = x.images();
  if (pending.empty()) return invalid("the archive holds no images (PNG, JPEG, GIF, WebP)");
  // Stable, so entries with the same normalised path ("a.png", "./a.png") keep archive order.
  std::stable_sort(pending.begin(), pending.end(),
                   [](const PendingImage& l, const PendingImage& r) { return natural_less(l.path, r.path); });

  ExtractReport report;
  report.skipped = x.skipped();
  report.expanded_bytes = x.expanded();
  report.images.reserve(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    PendingImage& p = pending[i];
    const std::string final_name = fmt::format("{:06}.{}", i + 1, p.type.ext);
    if (::renameat(dir.get(), p.temp.c_str(), dir.get(), final_name.c_str()) != 0)
      return io_error("cannot name an extracted image", errno);
    report.images.push_back(
        {std::move(p.path), (fs::path(dest_dir) / final_name).string(), std::string(p.type.mime), p.size});
  }
  return report;
}

namespace {

// Copies one file into the open entry, a block at a time.
Result<void> pack_file(archive* a, const std::string& name, const std::string& file, std::vector<char>& buf) {
  Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return io_error(fmt::format("cannot read '{}'", file), errno);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return io_error(fmt::format("cannot read '{}'", file), errno);
  if (!S_ISREG(st.st_mode)) return make_error(ErrorCode::unavailable, fmt::format("'{}' is not a regular file", file));

  EntryGuard entry;
  archive_entry_set_pathname_utf8(entry.e, name.c_str());
  archive_entry_set_filetype(entry.e, AE_IFREG);
  archive_entry_set_perm(entry.e, 0644);
  archive_entry_set_size(entry.e, st.st_size);
  archive_entry_set_mtime(entry.e, st.st_mtim.tv_sec, 0);
  if (archive_write_header(a, entry.e) != ARCHIVE_OK)
    return make_error(ErrorCode::unavailable, fmt::format("cannot add '{}' to the ZIP: {}", name, archive_message(a)));

  std::int64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(fmt::format("cannot read '{}'", file), errno);
    }
    if (n == 0) break;
    total += n;
    // The header announced st_size; a file that grew would overrun the entry.
    if (total > st.st_size) break;
    for (std::size_t done = 0; done < static_cast<std::size_t>(n);) {
      const la_ssize_t w = archive_write_data(a, buf.data() + done, static_cast<std::size_t>(n) - done);
      if (w <= 0)
        return make_error(ErrorCode::unavailable, fmt::format("cannot write '{}' into the ZIP: {}", name, archive_message(a)));
      done += static_cast<std::size_t>(w);
    }
  }
  if (total != st.st_size)
    return make_error(ErrorCode::unavailable, fmt::format("'{}' changed size while it was packed", file));
  if (archive_write_finish_entry(a) != ARCHIVE_OK)
    return make_error(ErrorCode::unavailable, fmt::format("cannot write '{}' into the ZIP: {}", name, archive_message(a)));
  return {};
}

Result<void> write_zip_entries(archive* a, const std::string& zip_path, const std::vector<std::string>& names,
                               const std::vector<std::pair<std::string, std::string>>& entries) {
  archive_write_set_format_zip(a);
  archive_write_zip_set_compression_store(a);  // images and videos do not compress; storing is fast
  // Names are UTF-8 whatever the process locale, and flagged so (general purpose bit 11).
  archive_write_set_format_option(a, "zip", "hdrcharset", "UTF-8");
  archive_write_set_bytes_in_last_block(a, 1);  // no padding after the central directory
  if (archive_write_open_filename(a, zip_path.c_str()) != ARCHIVE_OK)
    return make_error(ErrorCode::unavailable, fmt::format("cannot create '{}': {}", zip_path, archive_message(a)));
  std::vector<char> buf(kBlockBytes);
  for (std::size_t i = 0; i < entries.size(); ++i) VC_TRY(pack_file(a, names[i], entries[i].second, buf));
  if (archive_write_close(a) != ARCHIVE_OK)  // writes the central directory
    return make_error(ErrorCode::unavailable, fmt::format("cannot finish '{}': {}", zip_path, archive_message(a)));
  return {};
}

}  // namespace

Result<void> write_zip(const std::string& zip_path, const std::vector<std::pair<std::string, std::string>>& entries) {
  // Every name is checked before the file is created, so a bad name leaves nothing behind.
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& [name, file] : entries) {
    auto checked = check_entry_name(name);
    if (!checked) return std::move(checked).error();
    names.push_back(std::move(*checked));
  }
  Result<void> r;
  {
    const ScopedUtf8Locale utf8_names;
    WriteArchive w;
    if (!w.a) return make_error(ErrorCode::internal, "libarchive: out of memory");
    r = write_zip_entries(w.a, zip_path, names, entries);
  }  // freed (and so the file closed) before a failed one is removed
  if (!r) ::unlink(zip_path.c_str());  // a partial ZIP would look like a valid upload later
  return r;
}

}  // namespace vc::pipeline
