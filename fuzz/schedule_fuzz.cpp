// Fuzzes the schedule parsers (libvideocontrol/src/schedule/): any bytes are either refused with
// `invalid` and a message, or parse into a schedule whose JSON form parses back to the same form;
// a parsed cron expression re-parses from its own text; evaluating a parsed schedule over a week in
// a zone with DST gives sorted, disjoint spans inside the window.
//
// Input: first byte selects the parser (even: schedule JSON, odd: cron text); the rest is the text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "videocontrol/schedule.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

const vc::TimeZone& berlin() {
  static const vc::TimeZone z = *vc::TimeZone::locate("Europe/Berlin");
  return z;
}

void check_spans(const vc::Schedule& s) {
  // The week of the 2026 fall-back change in Berlin.
  const std::int64_t from = 1'792'360'800'000;  // 2026-10-19T22:00Z
  const std::int64_t to = from + 7 * 86'400'000LL;
  const auto spans = vc::active_spans(s, berlin(), from, to);
  std::int64_t last = from;
  for (const auto& sp : spans) {
    require(sp.begin_ms >= last, "spans are sorted, disjoint and inside the window");
    require(sp.end_ms > sp.begin_ms, "spans are not empty");
    last = sp.end_ms;
  }
  require(last <= to, "spans end inside the window");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    auto r = vc::parse_schedule(text);
    if (!r) {
      require(r.error().code == vc::ErrorCode::invalid, "a refused schedule is `invalid`");
      require(!r.error().message.empty(), "a refusal says why");
      return 0;
    }
    const std::string json = vc::schedule_json(*r);
    auto again = vc::parse_schedule(json);
    require(again.ok(), "a schedule's JSON form parses");
    require(vc::schedule_json(*again) == json, "the JSON form is stable");
    require(!vc::describe(*r).empty(), "a schedule describes itself");
    check_spans(*r);
  } else {
    auto c = vc::CronExpression::parse(text);
    if (!c) {
      require(c.error().code == vc::ErrorCode::invalid, "a refused cron expression is `invalid`");
      require(!c.error().message.empty(), "a refusal says why");
      return 0;
    }
    auto again = vc::CronExpression::parse(c->text());
    require(again.ok() && again->text() == c->text(), "a cron expression re-parses from its text");
    const auto runs = c->next_runs(berlin(), 1'792'360'800'000, 3);
    for (std::size_t i = 1; i < runs.size(); ++i) require(runs[i] > runs[i - 1], "runs increase");
  }
  return 0;
}
