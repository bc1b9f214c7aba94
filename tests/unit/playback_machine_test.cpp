// The playback state machine as a table: every action from every kind of state, with the state it
// moves to, what the players are sent, or the error. No storage: playback_machine::step is pure.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "services/playback_machine.hpp"

using namespace vc;
namespace pm = vc::playback_machine;

namespace {

NowPlaying showing(std::string type, std::string file, PlaybackState state, std::optional<int> page = std::nullopt) {
  NowPlaying n;
  n.type = std::move(type);
  n.file = std::move(file);
  n.state = state;
  n.page = page;
  n.position_ms = 1234;
  return n;
}

const NowPlaying kIdle{};
const NowPlaying kStopped = [] { NowPlaying n; n.state = PlaybackState::stopped; return n; }();
const NowPlaying kImage = showing("image", "a.png", PlaybackState::playing);
const NowPlaying kVideoPaused = showing("video", "v.mp4", PlaybackState::paused);
const NowPlaying kPdfPage2 = showing("pdf", "deck.pdf", PlaybackState::playing, 2);
const NowPlaying kPdfLast = showing("pdf", "deck.pdf", PlaybackState::playing, 3);
const NowPlaying kFolderFirst = showing("folder", "photos", PlaybackState::paused, 1);

const pm::File kPngFile{"b.png", MediaKind::image, std::nullopt};
const pm::File kPdfFile{"deck.pdf", MediaKind::pdf, 3};
const pm::File kPptxFile{"talk.pptx", MediaKind::pptx, 10};

PlaybackCommand cmd(PlaybackAction a, std::string file = {}, std::optional<int> page = std::nullopt) {
  return {a, std::move(file), page, {}};
}

struct Row {
  const char* name;
  NowPlaying from;
  std::optional<int> page_count;  // of the loaded file
  PlaybackCommand command;
  const pm::File* target;
  // expected
  std::optional<ErrorCode> error;
  PlaybackState state = PlaybackState::idle;
  std::string type, file;
  std::optional<int> page;
  std::string event, payload;
};

const std::vector<Row>& table() {
  using A = PlaybackAction;
  using S = PlaybackState;
  static const std::vector<Row> rows = {
      // play a file: from any state, position reset, paged kinds start at page 1 or the page asked for
      {"play image from idle", kIdle, {}, cmd(A::play, "b.png"), &kPngFile, {}, S::playing, "image", "b.png", {},
       "player/play", R"({"type":"image","file":"b.png","state":"playing"})"},
      {"play pdf from image", kImage, {}, cmd(A::play, "deck.pdf"), &kPdfFile, {}, S::playing, "pdf", "deck.pdf", 1,
       "player/play", R"({"type":"pdf","file":"deck.pdf","state":"playing","page":1})"},
      {"play pptx at page 4", kStopped, {}, cmd(A::play, "talk.pptx", 4), &kPptxFile, {}, S::playing, "pptx", "talk.pptx", 4,
       "player/play", R"({"type":"pptx","file":"talk.pptx","state":"playing","page":4})"},
      {"play pdf past its last page", kIdle, {}, cmd(A::play, "deck.pdf", 4), &kPdfFile, ErrorCode::invalid},
      {"play pdf at page 0", kIdle, {}, cmd(A::play, "deck.pdf", 0), &kPdfFile, ErrorCode::invalid},
      {"play a file the device lacks", kIdle, {}, cmd(A::play, "gone.png"), nullptr, ErrorCode::not_found},
      {"play image ignores a page", kIdle, {}, cmd(A::play, "b.png", 7), &kPngFile, {}, S::playing, "image", "b.png", {},
       "player/play", R"({"type":"image","file":"b.png","state":"playing"})"},
      // play without a file = resume
      {"play without file resumes", kVideoPaused, {}, cmd(A::play), nullptr, {}, S::playing, "video", "v.mp4", {}, "player/resume", ""},
      {"play without file when idle", kIdle, {}, cmd(A::play), nullptr, ErrorCode::invalid},
      // resume / pause / restart need something loaded
      {"resume paused video", kVideoPaused, {}, cmd(A::resume), nullptr, {}, S::playing, "video", "v.mp4", {}, "player/resume", ""},
      {"resume when idle", kIdle, {}, cmd(A::resume), nullptr, ErrorCode::invalid},
      {"resume when stopped", kStopped, {}, cmd(A::resume), nullptr, ErrorCode::invalid},
      {"pause image", kImage, {}, cmd(A::pause), nullptr, {}, S::paused, "image", "a.png", {}, "player/pause", ""},
      {"pause paused stays paused", kVideoPaused, {}, cmd(A::pause), nullptr, {}, S::paused, "video", "v.mp4", {}, "player/pause", ""},
      {"pause when idle", kIdle, {}, cmd(A::pause), nullptr, ErrorCode::invalid},
      {"restart paused video", kVideoPaused, {}, cmd(A::restart), nullptr, {}, S::playing, "video", "v.mp4", {}, "player/restart", ""},
      {"restart pdf goes to page 1", kPdfLast, 3, cmd(A::restart), nullptr, {}, S::playing, "pdf", "deck.pdf", 1, "player/restart", ""},
      {"restart when idle", kIdle, {}, cmd(A::restart), nullptr, ErrorCode::invalid},
      // stop: always allowed, back to the placeholder
      {"stop image", kImage, {}, cmd(A::stop), nullptr, {}, S::stopped, "", "", {}, "player/stop", ""},
      {"stop when idle", kIdle, {}, cmd(A::stop), nullptr, {}, S::stopped, "", "", {}, "player/stop", ""},
      {"stop pdf drops the page", kPdfPage2, 3, cmd(A::stop), nullptr, {}, S::stopped, "", "", {}, "player/stop", ""},
      // pages
      {"next page", kPdfPage2, 3, cmd(A::next_page), nullptr, {}, S::playing, "pdf", "deck.pdf", 3, "player/pdfPage", "3"},
      {"next at the last page stays, says nothing", kPdfLast, 3, cmd(A::next_page), nullptr, {}, S::playing, "pdf", "deck.pdf", 3, "", ""},
      {"next with unknown page count", kPdfLast, {}, cmd(A::next_page), nullptr, {}, S::playing, "pdf", "deck.pdf", 4, "player/pdfPage", "4"},
      {"prev page", kPdfPage2, 3, cmd(A::prev_page), nullptr, {}, S::playing, "pdf", "deck.pdf", 1, "player/pdfPage", "1"},
      {"prev at the first page stays", kFolderFirst, 5, cmd(A::prev_page), nullptr, {}, S::paused, "folder", "photos", 1, "", ""},
      {"next folder image", kFolderFirst, 5, cmd(A::next_page), nullptr, {}, S::paused, "folder", "photos", 2, "player/folderPage", "2"},
      {"goto page", kPdfPage2, 3, cmd(A::goto_page, {}, 3), nullptr, {}, S::playing, "pdf", "deck.pdf", 3, "player/pdfPage", "3"},
      {"goto the page shown is still sent", kPdfPage2, 3, cmd(A::goto_page, {}, 2), nullptr, {}, S::playing, "pdf", "deck.pdf", 2, "player/pdfPage", "2"},
      {"goto past the end", kPdfPage2, 3, cmd(A::goto_page, {}, 4), nullptr, ErrorCode::invalid},
      {"goto page 0", kPdfPage2, 3, cmd(A::goto_page, {}, 0), nullptr, ErrorCode::invalid},
      {"goto without a page", kPdfPage2, 3, cmd(A::goto_page), nullptr, ErrorCode::invalid},
      {"next on an image", kImage, {}, cmd(A::next_page), nullptr, ErrorCode::invalid},
      {"prev when idle", kIdle, {}, cmd(A::prev_page), nullptr, ErrorCode::invalid},
      {"goto on a video", kVideoPaused, {}, cmd(A::goto_page, {}, 1), nullptr, ErrorCode::invalid},
  };
  return rows;
}

}  // namespace

TEST_SUITE("playback_machine") {
TEST_CASE("every action from every kind of state") {
  for (const Row& row : table()) {
    CAPTURE(row.name);
    auto r = pm::step(row.from, row.page_count, row.command, row.target);
    if (row.error) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == *row.error);
      CHECK_FALSE(r.error().message.empty());
      continue;
    }
    REQUIRE(r.ok());
    CHECK(r->state.state == row.state);
    CHECK(r->state.type == row.type);
    CHECK(r->state.file == row.file);
    CHECK(r->state.page == row.page);
    CHECK(r->player_event == row.event);
    CHECK(r->player_payload == row.payload);
    // A new file or a restart starts from the beginning; other commands keep the position.
    const bool from_start = row.command.action == PlaybackAction::stop || row.command.action == PlaybackAction::restart ||
                            (row.command.action == PlaybackAction::play && !row.command.file.empty());
    CHECK(r->state.position_ms == (from_start ? std::nullopt : row.from.position_ms));
  }
}

TEST_CASE("the table covers every action") {
  std::vector<bool> seen(static_cast<std::size_t>(PlaybackAction::goto_page) + 1, false);
  for (const Row& row : table()) seen[static_cast<std::size_t>(row.command.action)] = true;
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK_MESSAGE(seen[i], "no row for action ", i);
}

TEST_CASE("parse_playback_action knows the 2.x names") {
  CHECK(parse_playback_action("pdfNext") == PlaybackAction::next_page);
  CHECK(parse_playback_action("prev") == PlaybackAction::prev_page);
  CHECK(parse_playback_action("page") == PlaybackAction::goto_page);
  CHECK(parse_playback_action("restart") == PlaybackAction::restart);
  CHECK_FALSE(parse_playback_action("Play").has_value());
  CHECK_FALSE(parse_playback_action("").has_value());
}
}
