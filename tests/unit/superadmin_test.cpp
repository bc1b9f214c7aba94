// The superadmin on a fresh installation (issue 10): its home is the Default organisation, so it
// creates devices and uploads media at once; it acts in another organisation only by naming it
// (Auth::act_in), audited as such; installations from before get the home by a migration.
#include <doctest/doctest.h>

#include <algorithm>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/media.hpp"

using namespace vc;
using vc::test::World;

namespace {

// Takes a database back to what migration 0001 made, as far as the later migrations changed it:
// 0003's media processing columns and index, 0004's scheduling tables (which replaced 0001's unused
// playlist and schedule tables).
void undo_later_migrations(soci::session& raw) {
  raw << "ALTER TABLE devices DROP COLUMN legacy_player";  // 0007
  raw << "DROP TABLE webhook_deliveries";  // 0006
  raw << "DROP TABLE webhooks";
  raw << "ALTER TABLE device_state DROP COLUMN scheduled";  // 0005
  raw << "ALTER TABLE media DROP COLUMN progress";
  raw << "ALTER TABLE media DROP COLUMN error";
  raw << "ALTER TABLE media DROP COLUMN derived";
  raw << "DROP INDEX jobs_kind_idx";
  for (const char* t : {"overrides", "device_schedule", "assignments", "playlist_items", "playlists",
                        "device_group_members", "device_groups"})
    raw << std::string("DROP TABLE ") + t;
  raw << "CREATE TABLE playlists (id TEXT PRIMARY KEY)";
  raw << "CREATE TABLE playlist_items (id TEXT PRIMARY KEY, playlist_id TEXT REFERENCES playlists(id) ON DELETE CASCADE)";
  raw << "CREATE TABLE assignments (id TEXT PRIMARY KEY, playlist_id TEXT REFERENCES playlists(id) ON DELETE CASCADE)";
  raw << "CREATE TABLE schedules (id TEXT PRIMARY KEY, playlist_id TEXT REFERENCES playlists(id) ON DELETE CASCADE)";
}

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');

std::optional<User> find_user(Storage& storage, const std::string& username) {
  std::optional<User> out;
  REQUIRE(storage.read([&](StorageSession& s) -> Result<void> {
    auto u = s.users().find_by_username(username);
    if (!u) return std::move(u).error();
    out = *u;
    return {};
  }).ok());
  return out;
}

std::string default_org_id(World& w) {
  auto orgs = w.svc->organizations().list(w.super, {});
  REQUIRE(orgs.ok());
  for (const auto& o : orgs->items)
    if (o.slug == "default") return o.id;
  FAIL("no Default organisation");
  return {};
}

Result<UploadResult> upload(World& w, const Actor& a, std::string_view device, const std::string& name,
                            const std::string& bytes) {
  return vc::test::upload_bytes(*w.svc, a, device, name, bytes);
}

std::vector<AuditEntry> audit_of(World& w, const std::string& action, const std::string& org) {
  AuditFilter f;
  f.action = action;
  f.organization_id = org;
  auto rows = w.svc->audit().list(w.super, f);
  REQUIRE(rows.ok());
  return rows->items;
}

}  // namespace

TEST_SUITE("superadmin") {

TEST_CASE("first run gives the superadmin the Default organisation as its home") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("home.db"));
  ManualClock clock;
  auto run = bootstrap_first_run(*storage, clock, "Given-Password-42", vc::test::kCheapHash);
  REQUIRE(run.ok());
  REQUIRE(run->has_value());
  auto admin = find_user(*storage, "admin");
  REQUIRE(admin.has_value());
  CHECK(admin->role == Role::superadmin);
  CHECK_FALSE(admin->organization_id.empty());
  CHECK(admin->organization_id == (*run)->organization_id);
}

TEST_CASE("signed in right after the first run, the superadmin creates a device and uploads a file") {
  World w;
  const std::string home = default_org_id(w);
  CHECK(w.super.organization_id == home);
  CHECK_FALSE(w.super.acting_elsewhere());

  auto d = w.svc->devices().create(w.super, {"lobby", "Lobby"});
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().message));
  CHECK(d->device.organization_id == home);

  auto up = upload(w, w.super, "lobby", "logo.png", kPng);
  REQUIRE_MESSAGE(up.ok(), (up.ok() ? "" : up.error().message));
  CHECK(up->file.media.organization_id == home);
  auto files = w.svc->media().files(w.super, "lobby", {});
  REQUIRE(files.ok());
  REQUIRE(files->items.size() == 1);
  CHECK(files->items[0].name == "logo.png");
  auto listed = w.svc->devices().list(w.super, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 1);
  CHECK(listed->items[0].device.device_id == "lobby");
  // An ordinary action in its home is audited without the mark.
  auto rows = audit_of(w, "device.create", home);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].details_json.find("as_superadmin") == std::string::npos);
}

TEST_CASE("act_in scopes a superadmin to another organisation and refuses everyone else") {
  World w;
  const std::string home = default_org_id(w);
  auto b = w.org("org-b");
  auto acting = w.svc->auth().act_in(w.super, b.id);
  REQUIRE_MESSAGE(acting.ok(), (acting.ok() ? "" : acting.error().message));
  CHECK(acting->organization_id == b.id);
  CHECK(acting->home_organization_id == home);
  CHECK(acting->acting_elsewhere());
  CHECK(acting->id == w.super.id);
  CHECK(acting->role == Role::superadmin);

  auto d = w.svc->devices().create(*acting, {"b-screen", ""});
  REQUIRE(d.ok());
  CHECK(d->device.organization_id == b.id);
  // Lists follow the organisation acted in.
  auto in_b = w.svc->devices().list(*acting, {});
  REQUIRE(in_b.ok());
  REQUIRE(in_b->items.size() == 1);
  auto in_home = w.svc->devices().list(w.super, {});
  REQUIRE(in_home.ok());
  CHECK(in_home->items.empty());

  // Naming its home again is the plain actor, unmarked.
  auto back = w.svc->auth().act_in(*acting, home);
  REQUIRE(back.ok());
  CHECK(back->organization_id == home);
  CHECK_FALSE(back->acting_elsewhere());
  auto same = w.svc->auth().act_in(w.super, home);
  REQUIRE(same.ok());
  CHECK_FALSE(same->acting_elsewhere());

  // Organisation users (even its admin) and API keys act only in their own organisation.
  auto admin_b = w.user_in(b, "admin_b", "admin");
  auto operator_b = w.user_in(b, "operator_b", "operator");
  for (const Actor* who : {&admin_b, &operator_b}) {
    auto r = w.svc->auth().act_in(*who, home);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::forbidden);
    auto own = w.svc->auth().act_in(*who, b.id);
    REQUIRE_FALSE(own.ok());
    CHECK(own.error().code == ErrorCode::forbidden);
  }
  auto key = w.svc->api_keys().create(w.super, {"k", {"write"}, std::nullopt, b.id});
  REQUIRE(key.ok());
  auto key_actor = w.svc->auth().authenticate(key->secret, "127.0.0.1");
  REQUIRE(key_actor.ok());
  auto by_key = w.svc->auth().act_in(*key_actor, home);
  REQUIRE_FALSE(by_key.ok());
  CHECK(by_key.error().code == ErrorCode::forbidden);

  // An organisation that does not exist.
  auto unknown = w.svc->auth().act_in(w.super, "0190aaaa-0000-7000-8000-000000000000");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::not_found);
  auto empty = w.svc->auth().act_in(w.super, "");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == ErrorCode::invalid);
}

TEST_CASE("what a superadmin does through act_in is audited as acting as superadmin") {
  World w;
  const std::string home = default_org_id(w);
  auto b = w.org("org-audit");
  auto acting = w.svc->auth().act_in(w.super, b.id);
  REQUIRE(acting.ok());
  REQUIRE(w.svc->devices().create(*acting, {"audited", ""}).ok());
  REQUIRE(upload(w, *acting, "audited", "a.png", kPng).ok());

  for (const char* action : {"device.create", "media.upload"}) {
    INFO(action);
    auto rows = audit_of(w, action, b.id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].actor_id == w.super.id);
    CHECK(rows[0].organization_id == b.id);
    CHECK(rows[0].details_json.find(R"("as_superadmin":true)") != std::string::npos);
    CHECK(rows[0].details_json.find(R"("home_organization_id":")" + home + "\"") != std::string::npos);
  }
  // The other details are kept.
  auto rows = audit_of(w, "media.upload", b.id);
  CHECK(rows[0].details_json.find(R"("device_id":"audited")") != std::string::npos);
  // Reaching another organisation's object by its id, without naming the organisation, is marked too.
  REQUIRE(w.svc->devices().rename(w.super, "audited", "Renamed").ok());
  auto renamed = audit_of(w, "device.rename", b.id);
  REQUIRE(renamed.size() == 1);
  CHECK(renamed[0].details_json.find(R"("as_superadmin":true)") != std::string::npos);
  // The organisation's own admin sees it in its audit log.
  auto admin_b = w.user_in(b, "admin_audit", "admin");
  AuditFilter f;
  f.action = "device.create";
  auto seen = w.svc->audit().list(admin_b, f);
  REQUIRE(seen.ok());
  REQUIRE(seen->items.size() == 1);
  CHECK(seen->items[0].details_json.find("as_superadmin") != std::string::npos);
}

TEST_CASE("deleting the superadmin's home organisation keeps the superadmin, without a home") {
  World w;
  const std::string home = default_org_id(w);
  REQUIRE(w.svc->organizations().remove(w.super, home).ok());
  auto admin = find_user(*w.storage, "admin");
  REQUIRE(admin.has_value());
  CHECK(admin->organization_id.empty());
  auto again = w.login_actor("admin", "Super-Password-1");
  CHECK(again.organization_id.empty());
  auto d = w.svc->devices().create(again, {"nowhere", ""});
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == ErrorCode::invalid);
  // Naming an organisation still works.
  auto b = w.org("org-after");
  auto acting = w.svc->auth().act_in(again, b.id);
  REQUIRE(acting.ok());
  CHECK(acting->acting_elsewhere());
  CHECK(w.svc->devices().create(*acting, {"somewhere", ""}).ok());
}

// SQLite only: the test rewinds the schema by hand to stand for an installation from before.
TEST_CASE("the migration gives an existing superadmin without a home the Default organisation") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  std::string org_id;
  {
    auto storage = test::migrated_sqlite(path);
    ManualClock clock;
    auto run = bootstrap_first_run(*storage, clock, "Given-Password-42", vc::test::kCheapHash);
    REQUIRE(run.ok());
    REQUIRE(run->has_value());
    org_id = (*run)->organization_id;
  }
  {
    // As bootstrapped before issue 10: the superadmin had no organisation, schema version 1.
    soci::session raw(soci::sqlite3, "db=" + path);
    raw << "UPDATE users SET organization_id = NULL WHERE username = 'admin'";
    raw << "DELETE FROM schema_migrations WHERE version >= 2";
    undo_later_migrations(raw);
  }
  {
    auto storage = open_storage(test::sqlite_options(path));
    REQUIRE(storage.ok());
    REQUIRE(find_user(**storage, "admin")->organization_id.empty());
    auto report = (*storage)->migrate();
    REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message));
    CHECK(std::find(report->applied.begin(), report->applied.end(), "0002_superadmin_home_organization") !=
          report->applied.end());
    CHECK(find_user(**storage, "admin")->organization_id == org_id);
  }
  {
    // Without a Default organisation there is nothing to give: the superadmin stays without a home.
    soci::session raw(soci::sqlite3, "db=" + path);
    raw << "UPDATE users SET organization_id = NULL WHERE username = 'admin'";
    raw << "DELETE FROM organizations WHERE slug = 'default'";
    raw << "DELETE FROM schema_migrations WHERE version >= 2";
    undo_later_migrations(raw);
  }
  auto storage = open_storage(test::sqlite_options(path));
  REQUIRE(storage.ok());
  REQUIRE((*storage)->migrate().ok());
  auto admin = find_user(**storage, "admin");
  REQUIRE(admin.has_value());
  CHECK(admin->organization_id.empty());
}

}  // TEST_SUITE
