// Devices, uploads, deduplication, quotas, placeholders and the list cache, through the library.
#include <doctest/doctest.h>

#include <filesystem>

#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/players.hpp"

using namespace vc;
using vc::test::World;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');
const std::string kPdf = "%PDF-1.4\n" + std::string(100, 'd');
const std::string kMp4 = std::string("\0\0\0\x18" "ftypisom", 12) + std::string(200, 'v');

struct Env {
  World w;
  Organization org = w.org("media-org");
  Actor op = w.user_in(org, "operator_m", "operator");
  Actor viewer = w.user_in(org, "viewer_m", "viewer");

  Env() { REQUIRE(w.svc->devices().create(op, {"lobby", "Lobby"}).ok()); }

  Result<UploadResult> upload(const std::string& name, const std::string& bytes, std::string_view device = "lobby",
                              const Actor* as = nullptr) {
    return vc::test::upload_bytes(*w.svc, as ? *as : op, device, name, bytes);
  }

  std::size_t blob_files() {
    std::size_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(w.dir.path() / "content" / "blobs"))
      if (e.is_regular_file()) ++n;
    return n;
  }
  std::size_t temp_files() {
    std::size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(w.dir.path() / "content" / "tmp")) (void)e, ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("an upload is sniffed, stored by hash and linked to the device under its name") {
  Env e;
  auto r = e.upload("poster.png", kPng);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->file.name == "poster.png");
  CHECK(r->file.media.kind == MediaKind::image);
  CHECK(r->file.media.mime == "image/png");
  CHECK(r->file.media.size == static_cast<std::int64_t>(kPng.size()));
  CHECK_FALSE(r->deduplicated);
  CHECK(e.blob_files() == 1);
  CHECK(e.temp_files() == 0);
  auto files = e.w.svc->media().files(e.viewer, "lobby", {});
  REQUIRE(files.ok());
  REQUIRE(files->items.size() == 1);
  CHECK(files->items[0].name == "poster.png");
  auto content = e.w.svc->media().open(e.viewer, r->file.media.id);
  REQUIRE(content.ok());
  CHECK(content->blob.size == static_cast<std::int64_t>(kPng.size()));
}

TEST_CASE("the same bytes twice are stored once") {
  Env e;
  auto a = e.upload("a.png", kPng);
  auto b = e.upload("copy.png", kPng);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->deduplicated);
  CHECK(a->file.media.id == b->file.media.id);
  CHECK(e.blob_files() == 1);
  CHECK(e.temp_files() == 0);
  auto usage = e.w.svc->organizations().usage(e.op, e.org.id);
  REQUIRE(usage.ok());
  CHECK(usage->storage_bytes == static_cast<std::int64_t>(kPng.size()));
}

TEST_CASE("unsupported content or a misleading extension is refused with 415 and nothing stored") {
  Env e;
  auto text = e.upload("notes.txt", "just some text, not media");
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().code == ErrorCode::unsupported);
  auto lying = e.upload("movie.mp4", kPng);
  REQUIRE_FALSE(lying.ok());
  CHECK(lying.error().code == ErrorCode::unsupported);
  CHECK(lying.error().message.find("image") != std::string::npos);
  CHECK(e.blob_files() == 0);
  CHECK(e.temp_files() == 0);
}

TEST_CASE("hostile file names are made safe or refused, and never become paths") {
  Env e;
  auto traversal = e.upload("../../etc/passwd.png", kPng);
  REQUIRE(traversal.ok());
  CHECK(traversal->file.name == "passwd.png");
  auto windows = e.upload("C:\\Users\\x\\clip.mp4", kMp4);
  REQUIRE(windows.ok());
  CHECK(windows->file.name == "clip.mp4");
  CHECK_FALSE(e.upload(std::string("bad\0name.png", 12), kPng).ok());
  CHECK_FALSE(e.upload("..", kPng).ok());
  CHECK_FALSE(e.upload(std::string(300, 'a') + ".png", kPng).ok());
  CHECK(sanitize_file_name("a\tb\x01.png").value() == "ab.png");
  CHECK(std::filesystem::exists(e.w.dir.path() / "content" / "blobs"));
  CHECK_FALSE(std::filesystem::exists(e.w.dir.path() / "etc"));
}

TEST_CASE("names are UTF-8 in NFC without bidi controls; a player finds a file by either spelling") {
  Env e;
  const std::string decomposed = "\xd0\x9e\xd1\x82\xd1\x87\xd0\xb5\xcc\x88\xd1\x82.png";  // "Отчёт": е + U+0308
  const std::string composed = "\xd0\x9e\xd1\x82\xd1\x87\xd1\x91\xd1\x82.png";           // ё is U+0451
  auto up = e.upload(decomposed, kPng);
  REQUIRE(up.ok());
  CHECK(up->file.name == composed);
  CHECK(sanitize_file_name("a\xc2\x85" "b.png").value() == "ab.png");  // a C1 control (NEL) goes like C0 ones
  // Refused, never repaired: another encoding's bytes, a lone surrogate's, reordering controls.
  for (const std::string& bad : {std::string("caf\xe9.png"), std::string("x\xed\xb0\x80.png"),
                                std::string("report\xe2\x80\xaegnp.exe"), std::string("a\xe2\x81\xa6" "b.png")}) {
    auto r = e.upload(bad, kPng);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }
  CHECK(sanitize_file_name("report\xe2\x80\xaegnp.exe").error().message.find("U+202E") != std::string::npos);
  CHECK(sanitize_file_name("caf\xe9.png").error().message == "file name is not valid UTF-8");
  // Other names follow the same rules (they are checked, not rewritten).
  auto bidi_device = e.w.svc->devices().create(e.op, {"bidi", "Screen \xe2\x80\x8f" "1"});
  REQUIRE_FALSE(bidi_device.ok());
  CHECK(bidi_device.error().message.find("U+200F") != std::string::npos);
  CHECK(e.w.svc->devices().create(e.op, {"latin1", "Caf\xe9"}).error().code == ErrorCode::invalid);
  CHECK(e.w.svc->devices().create(e.op, {"nel", "a\xc2\x85" "b"}).error().code == ErrorCode::invalid);
  // A player asking in either spelling gets the file; broken bytes are refused before any lookup.
  auto player = e.w.svc->players().authenticate("lobby", "");
  REQUIRE(player.ok());
  CHECK(e.w.svc->players().resolve(*player, composed, true).ok());
  CHECK(e.w.svc->players().resolve(*player, decomposed, true).ok());
  CHECK(e.w.svc->players().file(*player, decomposed).ok());
  CHECK(e.w.svc->players().resolve(*player, "caf\xe9.png", true).error().code == ErrorCode::invalid);
}

TEST_CASE("uploads over the storage quota are refused with a clear 403 and nothing kept") {
  Env e;
  OrganizationPatch tiny;
  tiny.max_storage_bytes = std::optional<std::int64_t>(150);
  REQUIRE(e.w.svc->organizations().update(e.w.super, e.org.id, tiny).ok());
  REQUIRE(e.upload("small.png", kPng).ok());  // 108 bytes
  auto precheck = e.w.svc->media().check_upload(e.op, "lobby", 100);
  REQUIRE_FALSE(precheck.ok());
  CHECK(precheck.error().code == ErrorCode::quota);
  // Past the pre-check (size unknown up front): add_upload itself refuses.
  auto writer = e.w.svc->media().begin_upload(e.op, 1 << 20);
  REQUIRE(writer.ok());
  REQUIRE((*writer)->write(kPdf).ok());
  auto info = (*writer)->finish();
  REQUIRE(info.ok());
  auto r = e.w.svc->media().add_upload(e.op, "lobby", "deck.pdf", **writer, *info);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::quota);
  CHECK(r.error().message.find("quota") != std::string::npos);
  writer->reset();
  CHECK(e.blob_files() == 1);
  CHECK(e.temp_files() == 0);
}

TEST_CASE("a writer dropped before commit leaves no temporary file") {
  Env e;
  {
    auto writer = e.w.svc->media().begin_upload(e.op, 1 << 20);
    REQUIRE(writer.ok());
    REQUIRE((*writer)->write(std::string(1000, 'x')).ok());
    CHECK(e.temp_files() == 1);
  }
  CHECK(e.temp_files() == 0);
  auto limited = e.w.svc->media().begin_upload(e.op, 10);
  REQUIRE(limited.ok());
  auto too_big = (*limited)->write(std::string(11, 'x'));
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == ErrorCode::too_large);
}

TEST_CASE("a PDF placeholder is refused and the old placeholder stays") {
  Env e;
  auto img = e.upload("idle.png", kPng);
  auto pdf = e.upload("deck.pdf", kPdf);
  REQUIRE(img.ok());
  REQUIRE(pdf.ok());
  REQUIRE(e.w.svc->devices().set_placeholder(e.op, "lobby", img->file.media.id).ok());
  auto bad = e.w.svc->devices().set_placeholder(e.op, "lobby", pdf->file.media.id);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::invalid);
  auto d = e.w.svc->devices().get(e.viewer, "lobby");
  REQUIRE(d.ok());
  CHECK(d->device.placeholder_media_id == img->file.media.id);
  REQUIRE(e.w.svc->devices().clear_placeholder(e.op, "lobby").ok());
  CHECK(e.w.svc->devices().get(e.viewer, "lobby")->device.placeholder_media_id.empty());
}

TEST_CASE("deleting media removes the bytes with the last reference") {
  Env e;
  auto other = e.w.org("media-other");
  auto op2 = e.w.user_in(other, "operator_o", "operator");
  REQUIRE(e.w.svc->devices().create(op2, {"hall", "Hall"}).ok());
  auto mine = e.upload("a.png", kPng);
  auto theirs = e.upload("b.png", kPng, "hall", &op2);
  REQUIRE(mine.ok());
  REQUIRE(theirs.ok());
  CHECK(mine->file.media.id != theirs->file.media.id);  // per organisation
  CHECK(e.blob_files() == 1);                            // one copy of the bytes
  REQUIRE(e.w.svc->media().remove(e.op, mine->file.media.id).ok());
  CHECK(e.blob_files() == 1);
  CHECK(e.w.svc->media().open(op2, theirs->file.media.id).ok());
  REQUIRE(e.w.svc->media().remove(op2, theirs->file.media.id).ok());
  CHECK(e.blob_files() == 0);
}

TEST_CASE("copy, move and unlink change links, never bytes") {
  Env e;
  REQUIRE(e.w.svc->devices().create(e.op, {"hall", "Hall"}).ok());
  auto up = e.upload("clip.mp4", kMp4);
  REQUIRE(up.ok());
  REQUIRE(e.w.svc->media().link(e.op, up->file.media.id, "hall", "intro.mp4").ok());
  CHECK(e.w.svc->media().files(e.op, "hall", {})->items.at(0).name == "intro.mp4");
  REQUIRE(e.w.svc->media().move(e.op, "lobby", "clip.mp4", "hall").ok());
  CHECK(e.w.svc->media().files(e.op, "lobby", {})->items.empty());
  CHECK(e.w.svc->media().files(e.op, "hall", {})->items.size() == 2);
  REQUIRE(e.w.svc->media().unlink(e.op, "hall", "intro.mp4").ok());
  CHECK(e.w.svc->media().unlink(e.op, "hall", "intro.mp4").error().code == ErrorCode::not_found);
  CHECK(e.blob_files() == 1);
}

TEST_CASE("deleting a device removes its links and media used nowhere else") {
  Env e;
  REQUIRE(e.w.svc->devices().create(e.op, {"hall", "Hall"}).ok());
  auto shared = e.upload("shared.png", kPng);
  auto only = e.upload("only.mp4", kMp4);
  REQUIRE(shared.ok());
  REQUIRE(only.ok());
  REQUIRE(e.w.svc->media().link(e.op, shared->file.media.id, "hall").ok());
  REQUIRE(e.w.svc->devices().remove(e.op, "lobby").ok());
  CHECK(e.w.svc->devices().get(e.op, "lobby").error().code == ErrorCode::not_found);
  CHECK(e.w.svc->media().get(e.op, shared->file.media.id).ok());
  CHECK(e.w.svc->media().get(e.op, only->file.media.id).error().code == ErrorCode::not_found);
  CHECK(e.blob_files() == 1);
}

TEST_CASE("devices: ids are validated, unique everywhere, limited by plan and hidden across organisations") {
  Env e;
  CHECK(e.w.svc->devices().create(e.op, {"bad id!", ""}).error().code == ErrorCode::invalid);
  CHECK(e.w.svc->devices().create(e.op, {"lobby", ""}).error().code == ErrorCode::conflict);
  CHECK(e.w.svc->devices().create(e.viewer, {"tv9", ""}).error().code == ErrorCode::forbidden);
  for (int i = 1; i < 5; ++i) REQUIRE(e.w.svc->devices().create(e.op, {"tv" + std::to_string(i), ""}).ok());
  auto sixth = e.w.svc->devices().create(e.op, {"tv5", ""});  // FREE: 5 devices
  REQUIRE_FALSE(sixth.ok());
  CHECK(sixth.error().code == ErrorCode::quota);
  auto other = e.w.org("devices-other");
  auto stranger = e.w.user_in(other, "stranger", "admin");
  CHECK(e.w.svc->devices().get(stranger, "lobby").error().code == ErrorCode::not_found);
  CHECK(e.w.svc->devices().rename(stranger, "lobby", "mine").error().code == ErrorCode::not_found);
  CHECK(e.w.svc->devices().remove(stranger, "lobby").error().code == ErrorCode::not_found);
}

TEST_CASE("device lists page, filter, select fields and come from the cache until a change") {
  Env e;
  for (int i = 1; i < 5; ++i) REQUIRE(e.w.svc->devices().create(e.op, {"tv" + std::to_string(i), ""}).ok());
  DeviceQuery q;
  q.page.limit = 2;
  auto p1 = e.w.svc->devices().list(e.viewer, q);
  REQUIRE(p1.ok());
  CHECK(p1->items.size() == 2);
  REQUIRE_FALSE(p1->next_cursor.empty());
  q.page.cursor = p1->next_cursor;
  auto p2 = e.w.svc->devices().list(e.viewer, q);
  REQUIRE(p2.ok());
  CHECK(p2->items.front().device.device_id > p1->items.back().device.device_id);
  DeviceQuery online;
  online.status = "online";
  CHECK(e.w.svc->devices().list(e.viewer, online)->items.empty());
  DeviceQuery fields;
  fields.fields = {"device_id", "name"};
  auto json = e.w.svc->devices().list_json(e.viewer, fields);
  REQUIRE(json.ok());
  CHECK(json->find("\"device_id\"") != std::string::npos);
  CHECK(json->find("\"status\"") == std::string::npos);
  DeviceQuery bad;
  bad.fields = {"password"};
  CHECK(e.w.svc->devices().list_json(e.viewer, bad).error().code == ErrorCode::invalid);

  const auto before = e.w.cache->stats();
  REQUIRE(e.w.svc->devices().list_json(e.viewer, fields).ok());
  CHECK(e.w.cache->stats().hits == before.hits + 1);
  REQUIRE(e.w.svc->devices().rename(e.op, "tv1", "Renamed").ok());
  DeviceQuery all;
  auto fresh = e.w.svc->devices().list_json(e.viewer, all);
  REQUIRE(fresh.ok());
  CHECK(fresh->find("Renamed") != std::string::npos);
  e.w.clock->advance(std::chrono::seconds(61));  // TTL 60 s
  const auto s2 = e.w.cache->stats();
  REQUIRE(e.w.svc->devices().list_json(e.viewer, all).ok());
  CHECK(e.w.cache->stats().misses == s2.misses + 1);
}

TEST_CASE("device credentials are shown once and stored hashed") {
  Env e;
  auto secret = e.w.svc->devices().rotate_credential(e.op, "lobby");
  REQUIRE(secret.ok());
  CHECK(secret->starts_with("vcd_"));
  auto d = e.w.svc->devices().get(e.op, "lobby");
  CHECK(d->device.credential_hash != *secret);
  CHECK_FALSE(d->device.credential_hash.empty());
  auto again = e.w.svc->devices().rotate_credential(e.op, "lobby");
  CHECK(*again != *secret);
  REQUIRE(e.w.svc->devices().clear_credential(e.op, "lobby").ok());
  CHECK(e.w.svc->devices().get(e.op, "lobby")->device.credential_hash.empty());
}

TEST_CASE("content sniffing recognises each supported kind") {
  CHECK(sniff_media(kPng, "a.png")->kind == MediaKind::image);
  CHECK(sniff_media("\xff\xd8\xff\xe0rest", "a.JPG")->mime == "image/jpeg");
  CHECK(sniff_media("GIF89a...", "a.gif")->kind == MediaKind::image);
  CHECK(sniff_media(std::string("RIFF\0\0\0\0WEBPVP8 ", 16), "a.webp")->mime == "image/webp");
  CHECK(sniff_media(kMp4, "a.mp4")->mime == "video/mp4");
  CHECK(sniff_media("\x1a\x45\xdf\xa3....", "a.webm")->mime == "video/webm");
  CHECK(sniff_media("ID3\x03rest", "a.mp3")->kind == MediaKind::audio);
  CHECK(sniff_media(kPdf, "a.pdf")->kind == MediaKind::pdf);
  CHECK(sniff_media("PK\x03\x04rest", "deck.pptx")->kind == MediaKind::pptx);
  CHECK(sniff_media("PK\x03\x04rest", "pics.zip")->kind == MediaKind::zip);
  // Documents and presentations LibreOffice converts (issue 12); other ZIP-based names stay refused.
  CHECK(sniff_media("PK\x03\x04rest", "doc.docx")->kind == MediaKind::document);
  CHECK(sniff_media("PK\x03\x04rest", "talk.odp")->kind == MediaKind::pptx);
  CHECK(sniff_media("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.ppt")->kind == MediaKind::pptx);
  CHECK(sniff_media("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.doc")->kind == MediaKind::document);
  CHECK(sniff_media("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls").error().code == ErrorCode::unsupported);
  CHECK(sniff_media("PK\x03\x04rest", "sheet.xlsx").error().code == ErrorCode::unsupported);
  CHECK(player_type(MediaKind::document) == "pdf");
  CHECK(infer_player_type("folder") == "folder");
  CHECK(infer_player_type("a.PDF") == "pdf");
  CHECK(infer_player_type("x.webp") == "image");
  CHECK(infer_player_type("x.zip") == "folder");
  CHECK(infer_player_type("x.mkv") == "video");
}

TEST_CASE("a device's files can be searched by name and kind, page by page, and the cache keeps filters apart") {
  Env e;
  for (const char* n : {"Welcome.png", "welcome-2.png", "100%_done.png", "Привет.png", "a_b.png"})
    REQUIRE(e.upload(n, kPng + n).ok());  // distinct bytes, each a PNG to the sniffer
  REQUIRE(e.upload("deck.pdf", kPdf).ok());
  REQUIRE(e.upload("clip.mp4", kMp4).ok());
  auto names = [&](FileFilter f, PageRequest page = {}) {
    std::vector<std::string> out;
    auto r = e.w.svc->media().files(e.viewer, "lobby", page, f);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    for (auto& file : r->items) out.push_back(file.name);
    return out;
  };
  CHECK(names({"welcome", ""}) == std::vector<std::string>{"Welcome.png", "welcome-2.png"});
  CHECK(names({"WELCOME", ""}) == names({"welcome", ""}));  // ASCII case does not matter
  CHECK(names({"%_", ""}) == std::vector<std::string>{"100%_done.png"});  // % and _ match themselves
  CHECK(names({"a_b", ""}) == std::vector<std::string>{"a_b.png"});
  CHECK(names({"Привет", ""}) == std::vector<std::string>{"Привет.png"});
  CHECK(names({"", "image"}).size() == 5);
  CHECK(names({"", "video"}) == std::vector<std::string>{"clip.mp4"});
  CHECK(names({"clip", "image"}).empty());
  // Paging keeps the filter.
  REQUIRE(e.upload("welcome-3.png", kPng + "3").ok());
  REQUIRE(e.upload("welcome-4.png", kPng + "4").ok());
  PageRequest one;
  one.limit = 1;
  auto first = e.w.svc->media().files(e.viewer, "lobby", one, {"welcome-", ""});
  REQUIRE(first.ok());
  REQUIRE(first->items.size() == 1);
  REQUIRE_FALSE(first->next_cursor.empty());
  one.cursor = first->next_cursor;
  auto second = e.w.svc->media().files(e.viewer, "lobby", one, {"welcome-", ""});
  REQUIRE(second.ok());
  REQUIRE(second->items.size() == 1);
  CHECK(second->items[0].name > first->items[0].name);
  CHECK(second->items[0].name.starts_with("welcome-"));
  // The cached JSON differs per filter.
  auto all = e.w.svc->media().files_json(e.viewer, "lobby", {}, {});
  auto videos = e.w.svc->media().files_json(e.viewer, "lobby", {}, {"", "video"});
  REQUIRE(all.ok());
  REQUIRE(videos.ok());
  CHECK(*all != *videos);
  CHECK(videos->find("clip.mp4") != std::string::npos);
  CHECK(videos->find("welcome") == std::string::npos);
  // Bad filters are refused with the reason.
  auto bad_kind = e.w.svc->media().files(e.viewer, "lobby", {}, {"", "movie"});
  REQUIRE_FALSE(bad_kind.ok());
  CHECK(bad_kind.error().code == ErrorCode::invalid);
  CHECK_FALSE(e.w.svc->media().files(e.viewer, "lobby", {}, {std::string(201, 'x'), ""}).ok());
}

TEST_CASE("renaming a device's file changes only that device's name for it, and refuses a taken name") {
  Env e;
  REQUIRE(e.w.svc->devices().create(e.op, {"hall", "Hall"}).ok());
  auto up = e.upload("poster.png", kPng);
  REQUIRE(up.ok());
  REQUIRE(e.w.svc->media().link(e.op, up->file.media.id, "hall").ok());
  REQUIRE(e.upload("other.png", kPng + "x").ok());

  auto renamed = e.w.svc->media().rename_file(e.op, "lobby", "poster.png", "Афиша.png");
  REQUIRE_MESSAGE(renamed.ok(), (renamed.ok() ? "" : renamed.error().message));
  CHECK(renamed->name == "Афиша.png");
  CHECK(renamed->media.id == up->file.media.id);
  auto lobby = e.w.svc->media().files(e.viewer, "lobby", {});
  REQUIRE(lobby.ok());
  std::vector<std::string> names;
  for (auto& f : lobby->items) names.push_back(f.name);
  CHECK(std::find(names.begin(), names.end(), "poster.png") == names.end());
  CHECK(std::find(names.begin(), names.end(), "Афиша.png") != names.end());
  auto hall = e.w.svc->media().files(e.viewer, "hall", {});
  REQUIRE(hall.ok());
  REQUIRE(hall->items.size() == 1);
  CHECK(hall->items[0].name == "poster.png");  // the other device's name is its own

  auto taken = e.w.svc->media().rename_file(e.op, "lobby", "Афиша.png", "other.png");
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == ErrorCode::conflict);
  CHECK(e.w.svc->media().rename_file(e.op, "lobby", "missing.png", "x.png").error().code == ErrorCode::not_found);
  auto empty = e.w.svc->media().rename_file(e.op, "lobby", "Афиша.png", "");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == ErrorCode::invalid);
  CHECK(e.w.svc->media().rename_file(e.viewer, "lobby", "Афиша.png", "y.png").error().code == ErrorCode::forbidden);
}

TEST_CASE("a cached device list shows the new now-playing state right after a command") {
  Env e;
  REQUIRE(e.upload("poster.png", kPng).ok());
  DeviceQuery all;
  auto before = e.w.svc->devices().list_json(e.viewer, all);
  REQUIRE(before.ok());
  CHECK(before->find("poster.png") == std::string::npos);
  REQUIRE(e.w.svc->playback().command(e.op, "lobby", {PlaybackAction::play, "poster.png", std::nullopt}).ok());
  auto after = e.w.svc->devices().list_json(e.viewer, all);
  REQUIRE(after.ok());
  CHECK(after->find(R"("file":"poster.png")") != std::string::npos);
}
