// The media library of an organisation and the files each device offers (DESIGN.md principle 6:
// uploads are hashed while streamed to a temporary file and appear only after an atomic rename and
// a committed row; the same bytes twice in an organisation are stored once).
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;

struct VC_API UploadResult {
  DeviceFile file;
  bool deduplicated = false;  // the organisation already had these bytes
};

struct VC_API MediaContent {
  Media media;
  BlobFile blob;
  bool rendition = false;  // blob is the pipeline's rendition of the media, not its original bytes
};

// What the content pipeline made from a media item (pipeline.hpp).
enum class DerivedPart {
  thumbnail,  // a small JPEG
  page,       // page n (1-based) of a document, or image n of a folder
  rendition,  // the H.264/AAC MP4 players get instead of a video over the profile
};

struct VC_API DerivedContent {
  Media media;
  std::string path;      // derived from the source's hash and fixed names only
  std::string mime;
  std::int64_t size = 0;
  std::int64_t mtime_ms = 0;
  std::string etag;      // stable for these bytes (they never change once published)
};

// What MediaLibrary::sweep_blobs did.
struct VC_API BlobSweepReport {
  std::int64_t scanned = 0;        // blobs in the store
  std::int64_t young = 0;          // skipped: changed within min_age
  std::int64_t removed = 0;        // unreferenced, deleted
  std::int64_t bytes_removed = 0;
  std::int64_t failed = 0;         // unreferenced but could not be deleted (logged)
};

class VC_API MediaLibrary {
 public:
  explicit MediaLibrary(ServiceContext& ctx) : ctx_(ctx) {}

  // Everything that can be checked before the bytes arrive: role, device, and — when the size is
  // known — that the organisation's storage quota has room. Errors: forbidden, not_found, quota.
  Result<void> check_upload(const Actor& actor, std::string_view device_id, std::optional<std::int64_t> bytes);
  // A writer for one uploaded file, limited to max_bytes.
  Result<std::unique_ptr<BlobWriter>> begin_upload(const Actor& actor, std::uint64_t max_bytes);
  // Stores a finished upload: sniffs its kind (415 when unsupported), applies the quota (403 quota,
  // nothing kept), deduplicates within the organisation, commits the bytes, then the rows, and
  // links the media to the device under the sanitised name (replacing what that name pointed to).
  Result<UploadResult> add_upload(const Actor& actor, std::string_view device_id, std::string_view raw_name,
                                  BlobWriter& writer, const BlobInfo& info);

  // A directory uploaded as separate files (a browser's folder upload) becomes one folder item: the
  // images among `files` (each: its path inside the folder, as the browser sent it, and its finished
  // writer) are packed into a stored ZIP named after the folder (".zip" added when the name has
  // another extension), which add_upload then stores like an uploaded ZIP. Files that are not images
  // are skipped. Errors: invalid (a path that is absolute or has "..", no image at all), and those of
  // add_upload. The writers stay the caller's (their temporary files are dropped with them).
  struct FolderFile {
    std::string path;    // "img1.jpg" or "sub/img1.jpg", relative to the folder
    BlobWriter* writer;  // finished
    BlobInfo info;
  };
  Result<UploadResult> add_folder_upload(const Actor& actor, std::string_view device_id, std::string_view folder_name,
                                         const std::vector<FolderFile>& files);

  Result<Media> get(const Actor& actor, std::string_view media_id);
  Result<Page<Media>> list(const Actor& actor, const PageRequest& page, std::string_view kind = {});
  Result<std::string> list_json(const Actor& actor, const PageRequest& page, std::string_view kind = {});
  // A device's files by name, narrowed by `filter` (contains: at most 200 bytes; kind: a MediaKind
  // name). Errors: invalid (bad filter or page), not_found.
  Result<Page<DeviceFile>> files(const Actor& actor, std::string_view device_id, const PageRequest& page,
                                 const FileFilter& filter = {});
  Result<std::string> files_json(const Actor& actor, std::string_view device_id, const PageRequest& page,
                                 const FileFilter& filter = {});
  // Renames a device's file (the name players ask for); the media and other devices' names stay.
  // Errors: invalid (bad name), not_found, conflict (the device already has a file of that name).
  Result<DeviceFile> rename_file(const Actor& actor, std::string_view device_id, std::string_view name,
                                 std::string_view new_name);
  Result<Media> rename(const Actor& actor, std::string_view media_id, std::string_view name);
  // Deletes the media everywhere; the bytes go with the last reference.
  // Errors: conflict when playlists use it, naming them, unless `force` (which removes it from them).
  Result<void> remove(const Actor& actor, std::string_view media_id, bool force = false);
  // Offers media on a device under a name (default: the media's name). No bytes are copied.
  Result<DeviceFile> link(const Actor& actor, std::string_view media_id, std::string_view device_id,
                          std::string_view name = {});
  Result<DeviceFile> move(const Actor& actor, std::string_view from_device, std::string_view name,
                          std::string_view to_device);
  Result<void> unlink(const Actor& actor, std::string_view device_id, std::string_view name);
  // Deletes blobs that no row references and that have not changed for min_age: what a crash or a
  // failed cleanup left behind (a failed upload and a delete collect their bytes themselves). Each
  // is checked again under its lock (BlobRepository::lock), so a concurrent upload of the same bytes
  // is never robbed. The system actor only (Installation::open runs it). Errors: forbidden,
  // unavailable.
  Result<BlobSweepReport> sweep_blobs(const Actor& actor, std::chrono::seconds min_age);
  // The bytes of a media item, for serving. Any role of the organisation.
  Result<MediaContent> open(const Actor& actor, std::string_view media_id);
  // The bytes of a device's file by the device's name for it (what a panel's preview of the
  // now-playing file needs). Any role of the organisation. Errors: not_found.
  Result<MediaContent> open_file(const Actor& actor, std::string_view device_id, std::string_view name);

  // A derived file of a device's file (thumbnail, page n, rendition). Any role of the organisation.
  // Errors: not_found (no such file, page out of range, or not converted: the message says whether
  // it is still processing, failed, or was never processed).
  Result<DerivedContent> derived(const Actor& actor, std::string_view device_id, std::string_view name,
                                 DerivedPart part, int n = 0);

  static std::string to_json(const Media& media);
  // With device_id: also the URLs of its thumbnail and pages (thumbnail_url, pages_url).
  static std::string to_json(const DeviceFile& file, std::string_view device_id = {});

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
