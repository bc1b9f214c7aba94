// Backup and restore through the library (backup.hpp): a round trip between two SQLite
// installations, refusal of a non-empty target, of a truncated archive and of a flipped byte (the
// target untouched), and an incremental backup that copies only the new bytes. The cross-backend
// round trips (SQLite ↔ PostgreSQL) and the backup under write load are in
// tests/integration/test_backup.py.
#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "videocontrol/auth.hpp"
#include "videocontrol/backup.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/services.hpp"

namespace {

namespace fs = std::filesystem;
using vc::test::TempDir;

constexpr const char* kPassword = "Backup-Password-1";

// Bytes the upload sniffs as a PNG (nothing decodes them: no pipeline here).
std::string png(const std::string& body) { return std::string("\x89PNG\r\n\x1a\n", 8) + body; }

std::unique_ptr<vc::Installation> open_at(const fs::path& dir) {
  vc::InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.string();
  o.admin_password = kPassword;
  o.process_media = false;
  o.run_pipeline = false;
  o.drive_schedules = false;
  o.sweep_blobs_min_age = std::chrono::seconds(-1);
  auto inst = vc::Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  return std::move(*inst);
}

vc::Actor admin(vc::Installation& inst) {
  auto t = inst.services().auth().login("admin", kPassword, "127.0.0.1");
  REQUIRE(t.ok());
  auto a = inst.services().auth().authenticate(t->access_token, "127.0.0.1");
  REQUIRE(a.ok());
  return *a;
}

void upload(vc::Installation& inst, const vc::Actor& a, const std::string& name, const std::string& bytes) {
  auto& media = inst.services().media();
  auto writer = media.begin_upload(a, 1 << 20);
  REQUIRE(writer.ok());
  REQUIRE((*writer)->write(bytes).ok());
  auto info = (*writer)->finish();
  REQUIRE(info.ok());
  auto r = media.add_upload(a, "lobby", name, **writer, *info);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
}

std::string sqlite_url(const fs::path& dir) { return "sqlite://" + (dir / "videocontrol.db").string(); }

std::vector<std::string> media_names(vc::Installation& inst) {
  auto page = inst.services().media().list(admin(inst), {});
  REQUIRE(page.ok());
  std::vector<std::string> out;
  for (const auto& m : page->items) out.push_back(m.name + ":" + m.blob_hash);
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

vc::RestoreOptions into(const fs::path& dir) {
  vc::RestoreOptions r;
  r.database_url = sqlite_url(dir);
  r.content_dir = (dir / "content").string();
  return r;
}

struct Source {
  TempDir tmp;
  fs::path dir = tmp.path() / "src";
  std::vector<std::string> media;

  Source() {
    auto inst = open_at(dir);
    auto a = admin(*inst);
    REQUIRE(inst->services().devices().create(a, {"lobby", "Lobby"}).ok());
    upload(*inst, a, "a.png", png(std::string(300000, 'a')));
    upload(*inst, a, "b.png", png("bravo"));
    media = media_names(*inst);
  }
  vc::BackupOptions options() const {
    vc::BackupOptions b;
    b.database_url = sqlite_url(dir);
    b.content_dir = (dir / "content").string();
    return b;
  }
};

}  // namespace

TEST_CASE("backup and restore round trip between two SQLite installations") {
  Source src;
  const fs::path archive = src.tmp.path() / "full.vcbak";
  auto report = vc::backup_installation(src.options(), archive.string());
  REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message));
  CHECK(report->blobs == 2);
  CHECK(report->blobs_copied == 2);
  CHECK(report->missing.empty());
  CHECK(report->backend == "sqlite");
  CHECK(fs::exists(archive));
  CHECK_FALSE(fs::exists(archive.string() + ".partial"));

  auto check = vc::RestoreOptions{};
  check.verify_only = true;
  CHECK(vc::restore_installation(archive.string(), check).ok());

  const fs::path dst = src.tmp.path() / "dst";
  auto restored = vc::restore_installation(archive.string(), into(dst));
  REQUIRE_MESSAGE(restored.ok(), (restored.ok() ? "" : restored.error().message));
  CHECK(restored->blobs == 2);
  auto inst = open_at(dst);
  CHECK_FALSE(inst->first_run().has_value());  // the restored admin, not a new one
  CHECK(media_names(*inst) == src.media);
  auto file = inst->blobs().locate(src.media[0].substr(src.media[0].find(':') + 1));
  REQUIRE(file.ok());
  CHECK(read_file(file->path) == png(std::string(300000, 'a')));
  inst.reset();

  SUBCASE("a non-empty target is refused") {
    auto again = vc::restore_installation(archive.string(), into(dst));
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == vc::ErrorCode::conflict);
  }
}

TEST_CASE("a truncated archive or a flipped byte is refused and the target stays untouched") {
  Source src;
  const fs::path archive = src.tmp.path() / "full.vcbak";
  REQUIRE(vc::backup_installation(src.options(), archive.string()).ok());
  const std::string bytes = read_file(archive);

  for (const auto& [what, damaged] : std::vector<std::pair<std::string, std::string>>{
           {"truncated", bytes.substr(0, bytes.size() / 2)},
           {"truncated before the end marker", bytes.substr(0, bytes.size() - 700)},
           {"flipped", [&] { auto b = bytes; b[b.size() / 2] ^= 0x01; return b; }()},
       }) {
    CAPTURE(what);
    const fs::path bad = src.tmp.path() / "bad.vcbak";
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << damaged;
    const fs::path dst = src.tmp.path() / ("dst-" + std::to_string(damaged.size()));
    auto r = vc::restore_installation(bad.string(), into(dst));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == vc::ErrorCode::invalid);
    CHECK_FALSE(fs::exists(dst / "videocontrol.db"));
    CHECK_FALSE(fs::exists(dst / "content"));
  }
}

TEST_CASE("an incremental backup copies only the new blobs and restores with its base") {
  Source src;
  const fs::path full = src.tmp.path() / "full.vcbak";
  auto first = vc::backup_installation(src.options(), full.string());
  REQUIRE(first.ok());
  {
    auto inst = open_at(src.dir);
    upload(*inst, admin(*inst), "c.png", png("charlie"));
    src.media = media_names(*inst);
  }
  auto o = src.options();
  o.incremental_from = full.string();
  const fs::path inc = src.tmp.path() / "inc.vcbak";
  auto second = vc::backup_installation(o, inc.string());
  REQUIRE_MESSAGE(second.ok(), (second.ok() ? "" : second.error().message));
  CHECK(second->base_id == first->id);
  CHECK(second->blobs == 3);
  CHECK(second->blobs_copied == 1);
  CHECK(second->archive_bytes < first->archive_bytes / 2);

  const fs::path dst = src.tmp.path() / "dst";
  auto without = vc::restore_installation(inc.string(), into(dst));
  REQUIRE_FALSE(without.ok());
  CHECK(without.error().message.find("--base") != std::string::npos);
  CHECK_FALSE(fs::exists(dst / "videocontrol.db"));

  auto with = into(dst);
  with.bases = {full.string()};
  auto r = vc::restore_installation(inc.string(), with);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->blobs == 3);
  auto inst = open_at(dst);
  CHECK(media_names(*inst) == src.media);
}

TEST_CASE("an organisation's backup holds only its rows and restores into an empty installation") {
  Source src;
  {
    auto inst = open_at(src.dir);
    auto a = admin(*inst);
    REQUIRE(inst->services().organizations().create(a, {"Other", "other", "FREE", "UTC"}).ok());
  }
  auto o = src.options();
  o.organization = "default";
  const fs::path archive = src.tmp.path() / "org.vcbak";
  auto report = vc::backup_installation(o, archive.string());
  REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message));
  const fs::path dst = src.tmp.path() / "dst";
  REQUIRE(vc::restore_installation(archive.string(), into(dst)).ok());
  auto inst = open_at(dst);
  CHECK(media_names(*inst) == src.media);
  auto orgs = inst->services().organizations().list(admin(*inst), {});
  REQUIRE(orgs.ok());
  CHECK(orgs->items.size() == 1);

  o.organization = "nobody";
  auto none = vc::backup_installation(o, (src.tmp.path() / "none.vcbak").string());
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == vc::ErrorCode::not_found);
}
