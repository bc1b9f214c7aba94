// Image folders from ZIP archives (and from directory uploads packed into one): safe extraction and
// natural order. Private to the library.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::pipeline {

struct ArchiveLimits {
  std::int64_t max_entries = 10'000;               // entries of any kind, counted while reading
  std::int64_t max_expanded_bytes = 4ll << 30;     // total bytes inflated, written or not (skipped
                                                   // files count too: a bomb may pose as a .txt)
  std::int64_t max_entry_bytes = 512ll << 20;      // one image
  double max_ratio = 200;                          // expanded bytes / archive bytes (zip bombs);
                                                   // checked once more than 16 MiB are expanded
};

// An archive member's name made safe, or an error saying why it is refused. Accepts relative
// paths of '/'-separated components (a '\\' counts as a separator too). Refused (ErrorCode::invalid,
// message naming the entry): empty, absolute ("/x", "C:\\x", "\\\\server"), any ".." component, NUL
// or other control characters, invalid UTF-8, over 1024 bytes or over 32 components. "." components
// and repeated separators are dropped. Returns the normalised path ("a/b/c.png").
Result<std::string> check_entry_name(std::string_view name);

// Whether a normalised entry path is junk that archivers add (skipped, not an error): __MACOSX/…,
// any component starting with "._", .DS_Store, Thumbs.db, desktop.ini.
bool is_archive_junk(std::string_view path);

// Natural order for file names: runs of digits compare by value ("page2" < "page10", "page.2" <
// "page.10"), leading zeros break ties ("01" after "1"), other characters compare case-insensitively
// for ASCII then byte-wise, and full byte order breaks remaining ties so the order is total.
bool natural_less(std::string_view a, std::string_view b);

struct ExtractedImage {
  std::string path;        // normalised entry path inside the archive ("holiday/img10.jpg")
  std::string file;        // where it was written: dest_dir/NNNNNN.<ext>, numbered in natural order
  std::string mime;        // sniffed from the bytes: image/png, image/jpeg, image/gif, image/webp
  std::int64_t size = 0;
};

struct ExtractReport {
  std::vector<ExtractedImage> images;  // in natural order of `path`
  std::int64_t skipped = 0;            // regular files that are not images, and junk
  std::int64_t expanded_bytes = 0;
};

// Extracts the images of a ZIP (libarchive) into dest_dir (which must exist and be empty), refusing
// the whole archive — ErrorCode::invalid with a clear message — for: an unsafe entry name
// (check_entry_name), a symbolic or hard link, a device, FIFO or socket, more than max_entries,
// more than max_expanded_bytes or max_entry_bytes, a ratio over max_ratio, an encrypted entry, or
// an archive libarchive cannot read; and for an archive with no image at all. Nothing is ever
// written outside dest_dir (files are created by number, never by entry name, with O_EXCL|O_NOFOLLOW).
// On error dest_dir may hold partial files: the caller removes the folder. `progress` (0..100, by
// bytes of the archive read) may be empty.
Result<ExtractReport> extract_zip_images(const std::string& archive_path, const std::string& dest_dir,
                                         const ArchiveLimits& limits,
                                         const std::function<void(int percent)>& progress = {});

// Packs files into a stored (uncompressed) ZIP at zip_path: the folder item a directory upload
// becomes. entries: (path inside the archive, file on disk). Errors: invalid (bad entry name),
// unavailable (I/O).
Result<void> write_zip(const std::string& zip_path, const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace vc::pipeline
