// InstallationOptions::blob_store: an integrator's BlobStore replaces the disk store under
// content_dir, and every use of the media bytes (open's clean-up and sweep, uploads, serving) goes
// through it.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "test_support.hpp"
#include "videocontrol/auth.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/services.hpp"

using namespace vc;

namespace {

struct Counts {
  std::atomic<int> create{0}, commit{0}, locate{0}, remove{0}, list{0}, remove_leftovers{0}, healthy{0};
};

class CountingWriter final : public BlobWriter {
 public:
  CountingWriter(std::unique_ptr<BlobWriter> inner, Counts& counts) : inner_(std::move(inner)), counts_(counts) {}
  Result<void> write(std::string_view bytes) override { return inner_->write(bytes); }
  Result<BlobInfo> finish() override { return inner_->finish(); }
  Result<void> commit() override {
    ++counts_.commit;
    return inner_->commit();
  }
  std::string temporary_path() const override { return inner_->temporary_path(); }

 private:
  std::unique_ptr<BlobWriter> inner_;
  Counts& counts_;
};

// The disk store under another root, counting the calls it gets.
class CountingStore final : public BlobStore {
 public:
  explicit CountingStore(std::unique_ptr<BlobStore> inner) : inner_(std::move(inner)) {}
  Result<std::unique_ptr<BlobWriter>> create(std::uint64_t max_bytes) override {
    ++counts.create;
    auto w = inner_->create(max_bytes);
    if (!w) return std::move(w).error();
    return std::unique_ptr<BlobWriter>(std::make_unique<CountingWriter>(std::move(*w), counts));
  }
  Result<BlobFile> locate(std::string_view hash) override {
    ++counts.locate;
    return inner_->locate(hash);
  }
  Result<void> remove(std::string_view hash) override {
    ++counts.remove;
    return inner_->remove(hash);
  }
  Result<std::vector<StoredBlob>> list() override {
    ++counts.list;
    return inner_->list();
  }
  Result<int> remove_leftovers() override {
    ++counts.remove_leftovers;
    return inner_->remove_leftovers();
  }
  bool healthy() const override {
    ++counts.healthy;
    return inner_->healthy();
  }

  mutable Counts counts;

 private:
  std::unique_ptr<BlobStore> inner_;
};

std::size_t files_under(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) ++n;
  return n;
}

}  // namespace

TEST_SUITE("blob_store") {
TEST_CASE("Installation::open uses InstallationOptions::blob_store instead of the disk store") {
  test::TempDir dir;
  auto disk = make_disk_blob_store(dir.file("elsewhere"));
  REQUIRE(disk.ok());
  auto store = std::make_shared<CountingStore>(std::move(*disk));

  InstallationOptions o;

  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.file("data");
  o.admin_password = "Super-Password-1";
  o.process_media = false;  // no pipeline: only the upload's own calls
  o.blob_store = store;
  auto inst = Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  CHECK(&(*inst)->blobs() == store.get());
  CHECK(store->counts.remove_leftovers == 1);  // open cleans up on whichever store it uses
  CHECK(store->counts.list == 1);              // … and sweeps it

  Services& svc = (*inst)->services();
  auto tokens = svc.auth().login("admin", "Super-Password-1", "test");
  REQUIRE(tokens.ok());
  auto admin = svc.auth().authenticate(tokens->access_token, "test");
  REQUIRE(admin.ok());
  REQUIRE(svc.devices().create(*admin, {.device_id = "lobby", .name = "Lobby"}).ok());

  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');
  REQUIRE(svc.media().check_upload(*admin, "lobby", static_cast<std::int64_t>(png.size())).ok());
  auto writer = svc.media().begin_upload(*admin, 1 << 20);
  REQUIRE_MESSAGE(writer.ok(), (writer.ok() ? "" : writer.error().message));
  REQUIRE((*writer)->write(png).ok());
  auto info = (*writer)->finish();
  REQUIRE(info.ok());
  auto up = svc.media().add_upload(*admin, "lobby", "poster.png", **writer, *info);
  REQUIRE_MESSAGE(up.ok(), (up.ok() ? "" : up.error().message));
  CHECK(store->counts.create == 1);
  CHECK(store->counts.commit == 1);

  auto content = svc.media().open(*admin, up->file.media.id);
  REQUIRE(content.ok());
  CHECK(store->counts.locate >= 1);
  CHECK(content->blob.size == static_cast<std::int64_t>(png.size()));
  CHECK(content->blob.path.rfind((std::filesystem::absolute(dir.path()) / "elsewhere").lexically_normal().string(), 0) == 0);

  // The bytes are in the given store, none under the default content folder.
  CHECK(files_under(dir.path() / "elsewhere" / "blobs") == 1);
  CHECK(files_under(dir.path() / "data" / "content" / "blobs") == 0);

  CHECK((*inst)->health().content);
  CHECK(store->counts.healthy >= 1);
  CHECK_FALSE((*inst)->options().blob_store == nullptr);
}

TEST_CASE("without InstallationOptions::blob_store the disk store under content_dir is used") {
  test::TempDir dir;
  InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.file("data");
  o.admin_password = "Super-Password-1";
  o.process_media = false;
  auto inst = Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  CHECK(std::filesystem::is_directory(dir.path() / "data" / "content" / "blobs"));
  CHECK((*inst)->blobs().healthy());
}
}
