// A custom vc::BlobStore plugged into an installation (InstallationOptions::blob_store).
//
// ReadOnlyBlobStore serves the media bytes that the default disk store wrote earlier under a
// content folder (<root>/blobs/ab/<sha-256>), and takes no new ones: an archive, a replica on a
// read-only mount, a store being migrated away from. Each method's comment says what BlobStore
// (videocontrol/blob_store.hpp) asks of it and how this store keeps that.
//
// The program (a) opens an installation in <data-folder> with the default disk store, creates a
// device and uploads a small PNG to it, and closes it; (b) reopens it with the read-only store and
// shows that the file is still listed and its bytes are read back through the store, while a new
// upload is refused with the store's message. It may run again on the same folder.
// Usage: blob_store <data-folder>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <videocontrol/videocontrol.hpp>

namespace fs = std::filesystem;

namespace {

class ReadOnlyBlobStore final : public vc::BlobStore {
 public:
  // root: the folder the disk store used (InstallationOptions::content_dir, by default
  // <data_dir>/content). The store keeps only this path, and every method is const in effect, so it
  // is safe for concurrent use, as the contract requires.
  explicit ReadOnlyBlobStore(const fs::path& root) : root_(fs::absolute(root).lexically_normal()) {}

  // create: a writer for one upload, limited to max_bytes; Errors: unavailable when no temporary
  // file can be made. This store never takes bytes, so every upload stops here, before any byte is
  // read from the client, and the message reaches the uploader as it is (HTTP 503 on the server).
  vc::Result<std::unique_ptr<vc::BlobWriter>> create(std::uint64_t /*max_bytes*/) override {
    return vc::make_error(vc::ErrorCode::unavailable,
                          "this store is read-only: it serves the media stored earlier and takes no new uploads");
  }

  // locate: where the bytes of a hash are, to serve them. Errors: invalid for a malformed hash (so
  // that no caller's string ever becomes a path), not_found when absent. The path is derived from
  // the hash only, like the disk store's, and points at the complete bytes (the disk store renamed
  // them into place atomically).
  vc::Result<vc::BlobFile> locate(std::string_view hash) override {
    if (!valid_hash(hash)) return vc::make_error(vc::ErrorCode::invalid, "malformed blob hash");
    const fs::path path = blob_path(hash);
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::is_regular_file(st)) return vc::make_error(vc::ErrorCode::not_found, "media bytes are missing");
    vc::BlobFile file;
    file.path = path.string();
    file.size = static_cast<std::int64_t>(fs::file_size(path, ec));
    if (ec) return vc::make_error(vc::ErrorCode::not_found, "media bytes are missing");
    file.mtime_ms = mtime_ms(path);
    return file;
  }

  // remove: deletes the bytes, absent being fine. The library calls it after the last row that
  // referenced the bytes is gone (a deleted media item, device or organisation), and from the
  // sweep at open. A read-only store refuses for bytes it holds: the delete itself has committed
  // and stands, the library logs that the bytes stay, and they remain unreferenced (each sweep
  // counts them as failed) until someone with write access removes them. Absent bytes are fine.
  vc::Result<void> remove(std::string_view hash) override {
    if (!valid_hash(hash)) return vc::make_error(vc::ErrorCode::invalid, "malformed blob hash");
    std::error_code ec;
    if (!fs::exists(blob_path(hash), ec) && !ec) return {};
    return vc::make_error(vc::ErrorCode::unavailable, "this store is read-only: media bytes cannot be deleted");
  }

  // list: every stored blob (never the temporary files of uploads in progress), in any order, with
  // its size and the wall-clock time of its last change; the sweep at open compares that time with
  // InstallationOptions::sweep_blobs_min_age. Errors: unavailable when the store cannot be read.
  // Only names that are hashes count: anything else in the folder is not a blob.
  vc::Result<std::vector<vc::StoredBlob>> list() override {
    std::vector<vc::StoredBlob> out;
    std::error_code ec;
    for (fs::directory_iterator dirs(root_ / "blobs", ec), end; !ec && dirs != end; dirs.increment(ec)) {
      std::error_code inner;
      if (!dirs->is_directory(inner)) continue;
      for (fs::directory_iterator files(dirs->path(), inner); !inner && files != end; files.increment(inner)) {
        const std::string name = files->path().filename().string();
        std::error_code e;
        if (!valid_hash(name) || !files->is_regular_file(e)) continue;
        const auto size = files->file_size(e);
        if (e) continue;  // gone meanwhile
        out.push_back({name, static_cast<std::int64_t>(size), mtime_ms(files->path())});
      }
      if (inner) ec = inner;
    }
    if (ec) return vc::make_error(vc::ErrorCode::unavailable, "cannot list the read-only store: " + ec.message());
    return out;
  }

  // remove_leftovers: deletes the temporary files a crash left behind and says how many. This store
  // never makes any; the disk store's <root>/tmp is not its to clean (it would need write access),
  // so: none, 0.
  vc::Result<int> remove_leftovers() override { return 0; }

  // healthy: whether the store can take new bytes now (Installation::health().content, a readiness
  // check). Never, for a read-only store: false tells a load balancer or an operator that uploads
  // will fail here, while serving what is stored works (locate, list).
  bool healthy() const override { return false; }

 private:
  static bool valid_hash(std::string_view h) {
    return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  }
  fs::path blob_path(std::string_view hash) const {
    return root_ / "blobs" / std::string(hash.substr(0, 2)) / std::string(hash);
  }
  static std::int64_t mtime_ms(const fs::path& path) {
    std::error_code ec;
    const auto t = fs::last_write_time(path, ec);
    if (ec) return 0;
    const auto sys = std::chrono::file_clock::to_sys(t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
  }

  fs::path root_;
};

// A 1×1 PNG: content sniffing accepts it as an image.
const std::string kPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00"
    "\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\x60\x68"
    "\xf8\x0f\x00\x02\x03\x01\x80\x24\x61\xf5\x97\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
    69);
constexpr const char* kPassword = "Example-Password-1";

vc::Result<std::unique_ptr<vc::Installation>> open(const std::string& data_dir, std::shared_ptr<vc::BlobStore> store) {
  vc::InstallationOptions options;
  options.data_dir = data_dir;
  options.admin_password = kPassword;  // first run only
  options.process_media = false;       // no thumbnails or renditions: this example needs no ffmpeg
  options.blob_store = std::move(store);  // null: the disk store under <data_dir>/content
  return vc::Installation::open(std::move(options));
}

vc::Result<vc::Actor> sign_in(vc::Services& services) {
  auto tokens = services.auth().login("admin", kPassword, "blob_store");
  if (!tokens) return std::move(tokens).error();
  return services.auth().authenticate(tokens->access_token, "blob_store");
}

// An upload as the server does one: check, stream into the store's writer, hash, store.
vc::Result<vc::UploadResult> upload(vc::Services& services, const vc::Actor& actor, std::string_view device,
                                    std::string_view name, const std::string& bytes) {
  if (auto ok = services.media().check_upload(actor, device, static_cast<std::int64_t>(bytes.size())); !ok)
    return ok.error();
  auto writer = services.media().begin_upload(actor, bytes.size());  // BlobStore::create
  if (!writer) return std::move(writer).error();
  if (auto ok = (*writer)->write(bytes); !ok) return ok.error();
  auto info = (*writer)->finish();
  if (!info) return std::move(info).error();
  return services.media().add_upload(actor, device, name, **writer, *info);  // BlobWriter::commit
}

int fail(const char* what, const vc::Error& e) {
  std::fprintf(stderr, "%s: %s (%s)\n", what, e.message.c_str(), std::string(vc::to_string(e.code)).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: blob_store <data-folder>\n"), 2;
  const std::string data_dir = argv[1];

  // (a) The default disk store: a device and one upload.
  {
    auto inst = open(data_dir, nullptr);
    if (!inst) return fail("open", inst.error());
    vc::Services& services = (*inst)->services();
    auto admin = sign_in(services);
    if (!admin) return fail("sign in", admin.error());
    auto device = services.devices().create(*admin, {.device_id = "lobby", .name = "Lobby"});
    if (!device && device.error().code != vc::ErrorCode::conflict) return fail("create device", device.error());
    auto up = upload(services, *admin, "lobby", "hello.png", kPng);
    if (!up) return fail("upload", up.error());
    std::printf("default store: uploaded hello.png (%lld bytes, sha256 %.12s…%s)\n",
                static_cast<long long>(up->file.media.size), up->file.media.blob_hash.c_str(),
                up->deduplicated ? ", stored already" : "");
  }  // closed

  // (b) The same installation over the read-only store.
  auto store = std::make_shared<ReadOnlyBlobStore>(fs::path(data_dir) / "content");
  auto inst = open(data_dir, store);
  if (!inst) return fail("reopen", inst.error());
  vc::Services& services = (*inst)->services();
  auto admin = sign_in(services);
  if (!admin) return fail("sign in", admin.error());

  auto blobs = store->list();
  if (!blobs) return fail("list", blobs.error());
  std::printf("read-only store: %zu blob%s\n", blobs->size(), blobs->size() == 1 ? "" : "s");

  auto files = services.media().files(*admin, "lobby", {});
  if (!files) return fail("files", files.error());
  for (const auto& f : files->items) std::printf("listed: lobby/%s\n", f.name.c_str());

  auto content = services.media().open_file(*admin, "lobby", "hello.png");  // BlobStore::locate
  if (!content) return fail("open hello.png", content.error());
  std::ifstream in(content->blob.path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("read back: %zu bytes, %s\n", bytes.size(), bytes == kPng ? "same as uploaded" : "DIFFERENT");
  if (bytes != kPng) return 1;

  auto refused = upload(services, *admin, "lobby", "new.png", kPng + "another");
  if (refused) return std::fprintf(stderr, "the read-only store took an upload\n"), 1;
  std::printf("upload refused: %s (%s)\n", refused.error().message.c_str(),
              std::string(vc::to_string(refused.error().code)).c_str());
  std::printf("health: content=%s (a read-only store takes no new bytes)\n",
              (*inst)->health().content ? "yes" : "no");
}
