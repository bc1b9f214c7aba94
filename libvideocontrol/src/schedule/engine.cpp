// The schedule engine (schedule_engine.hpp): per tracked device a plan and one entry in a sorted
// next-event queue; run_due() reloads what changed, evaluates what is due, delivers the cues to the
// players held here and then stores the new states in one transaction.
#include "videocontrol/schedule_engine.hpp"

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "../services/context.hpp"
#include "../services/playback_machine.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/schedule.hpp"
#include "videocontrol/scheduling.hpp"

namespace vc {

const Actor& ScheduleEngine::actor() {
  static const Actor a = [] {
    Actor x = Actor::system();
    x.id = "schedule";
    return x;
  }();
  return a;
}

namespace {

constexpr std::int64_t kLookbackMs = 7LL * 86'400'000;  // how far back a plan looks for when a span began
constexpr std::int64_t kRetryMs = 30'000;               // a plan that failed to load is tried again after this
constexpr std::size_t kMaxSteps = 20'000;               // per playlist, pages included
constexpr std::int64_t kEndSlackMs = 1'000;             // an end reported this close to the boundary is left to it

struct Step {
  std::string media_id;
  std::string file;  // the device's name for the media
  MediaKind kind = MediaKind::image;
  std::optional<int> page;
  std::optional<int> page_count;
};

struct PlaylistPlan {
  bool loop = true, shuffle = false;
  std::string transition = "none";
  std::int64_t changed_at_ms = 0;
  std::vector<Step> steps;
  std::vector<std::int64_t> durations;
};

struct Plan {
  std::string device_pk;
  std::int64_t from_ms = 0, to_ms = 0;
  std::vector<TimelineEntry> entries;
  // The same timeline without overrides: where a playlist is counts from these spans, so an
  // override that ends (or is cleared) leaves the playlist where it would have been, whenever the
  // plan was loaded.
  std::vector<TimelineEntry> base_entries;
  std::map<std::string, PlaylistPlan> playlists;
  std::map<std::string, std::int64_t> assignment_changed;
  std::map<std::string, Step> override_media;  // override id → its media on the device
  std::unordered_set<std::string> media_ids;   // every media item the plan shows
  std::optional<NowPlaying> stored;            // the state stored when the plan was loaded
  std::int64_t schedule_changed_ms = 0;        // the latest change of an assignment, playlist or override in it
};

std::uint64_t fnv1a(std::string_view a, std::string_view b) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix("\x1f");
  mix(b);
  return h;
}

bool paged_kind(MediaKind k) {
  return k == MediaKind::pdf || k == MediaKind::pptx || k == MediaKind::document || k == MediaKind::zip;
}

std::optional<std::int64_t> probed_ms(const Media& m) {
  rapidjson::Document d;
  d.Parse(m.metadata_json.c_str(), m.metadata_json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto it = d.FindMember("duration");
  if (it == d.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  const double s = it->value.GetDouble();
  if (!(s > 0.05) || s > 7 * 86400.0) return std::nullopt;
  return static_cast<std::int64_t>(s * 1000);
}

// A file name for `wanted` on a device that does not hold it under another media item.
std::string free_name(StorageSession& s, const std::string& device_pk, const std::string& wanted) {
  auto taken = [&](const std::string& n) {
    auto f = s.media().find_file(device_pk, n);
    return !f || f->has_value();
  };
  if (!taken(wanted)) return wanted;
  const auto dot = wanted.rfind('.');
  const std::string stem = dot == std::string::npos || dot == 0 ? wanted : wanted.substr(0, dot);
  const std::string ext = dot == std::string::npos || dot == 0 ? std::string() : wanted.substr(dot);
  for (int i = 2; i < 1000; ++i) {
    auto n = fmt::format("{} ({}){}", stem, i, ext);
    if (!taken(n)) return n;
  }
  return {};
}

}  // namespace

struct ScheduleEngine::Impl {
  Impl(Services& s, ScheduleSink& k, ScheduleEngineOptions o)
      : services(s), ctx(service_context(s)), sink(k), options(o) {}

  Services& services;
  ServiceContext& ctx;
  ScheduleSink& sink;
  ScheduleEngineOptions options;

  struct Device {
    std::string org;
    std::shared_ptr<const Plan> plan;
    std::optional<ScheduleCue> sent;  // what this engine last told the players (or found stored)
    std::int64_t due_ms = -1;          // its key in `queue`, -1 when not queued
    bool sent_content = false;         // the schedule put something on (so an idle cue stops it)
    bool hold_checked = false;         // the stored state was looked at for a hold (once per tracking)
  };
  struct Hold {
    std::int64_t since_ms = 0;
    std::string org;
  };

  mutable std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<std::string, Device> devices;      // tracked, by public id
  std::set<std::pair<std::int64_t, std::string>> queue;  // (due, device)
  std::unordered_set<std::string> dirty;                 // plans to (re)load
  std::unordered_set<std::string> reevaluate;            // cues to evaluate now (holds changed)
  std::unordered_map<std::string, Hold> holds;           // manual control, any device of the installation
  std::unordered_map<std::string, std::string> ended;    // device → the file its player reported ended
  ScheduleEngineStats counters;
  bool stopping = false;
  bool wake = false;
  std::thread thread;

  // ---- queue ----
  void enqueue(const std::string& id, Device& d, std::int64_t due) {
    if (d.due_ms >= 0) queue.erase({d.due_ms, id});
    d.due_ms = due;
    if (due >= 0) queue.insert({due, id});
  }

  void notify() {
    wake = true;
    cv.notify_one();
  }

  // ---- plans ----
  Result<Plan> load_plan(const std::string& device_id, std::int64_t now, std::vector<std::pair<std::string, std::string>>& to_link) {
    Plan p;
    p.from_ms = now - kLookbackMs;
    p.to_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(options.horizon).count();
    auto r = ctx.storage.read([&](StorageSession& s) -> Result<void> {
      VC_ASSIGN(auto d, s.devices().find_by_device_id(device_id));
      if (!d) return make_error(ErrorCode::not_found, "device gone");
      p.device_pk = d->id;
      VC_ASSIGN(auto org, s.organizations().find(d->organization_id));
      if (!org) return make_error(ErrorCode::not_found, "organization gone");
      VC_ASSIGN(auto settings, s.scheduling().device_settings(d->id));
      VC_ASSIGN(auto zone, TimeZone::locate(settings.timezone.empty() ? org->timezone : settings.timezone));
      TimelineInput in;
      VC_ASSIGN(auto rules, s.scheduling().assignments_for(d->id));
      for (auto& a : rules) {
        p.assignment_changed[a.id] = a.updated_at_ms;
        p.schedule_changed_ms = std::max(p.schedule_changed_ms, a.updated_at_ms);
        in.rules.push_back(ScheduleRule{a.id, a.playlist_id, a.group_id, a.priority, a.updated_at_ms, std::move(a.schedule)});
      }
      VC_ASSIGN(auto groups, s.scheduling().group_ids_of(d->id));
      VC_ASSIGN(auto overrides, s.scheduling().active_overrides(d->organization_id, now));
      std::vector<Override> mine;
      for (auto& o : overrides) {
        if (!o.group_id.empty() && std::find(groups.begin(), groups.end(), o.group_id) == groups.end()) continue;
        in.overrides.push_back(OverrideRule{o.id, o.media_id, o.message, o.group_id, o.starts_at_ms, o.ends_at_ms.value_or(0)});
        p.schedule_changed_ms = std::max(p.schedule_changed_ms, o.starts_at_ms);
        mine.push_back(std::move(o));
      }
      in.default_playlist_id = settings.default_playlist_id;
      in.placeholder_media_id = d->placeholder_media_id;
      p.entries = resolve_timeline(in, zone, p.from_ms, p.to_ms);
      {
        TimelineInput base = in;
        base.overrides.clear();
        p.base_entries = resolve_timeline(base, zone, p.from_ms, p.to_ms);
      }

      // The device's name for a media item; a media item it does not hold yet is linked after the read.
      auto step_of = [&](const Media& m) -> Result<Step> {
        Step st;
        st.media_id = m.id;
        st.kind = m.kind;
        st.page_count = m.page_count;
        VC_ASSIGN(auto name, s.media().name_on(p.device_pk, m.id));
        if (name) st.file = std::move(*name);
        else to_link.emplace_back(m.id, m.name);
        p.media_ids.insert(m.id);
        return st;
      };
      const std::int64_t fallback = options.item_duration.count();
      for (const auto& e : p.entries) {
        if (!e.playlist_id.empty() && !p.playlists.count(e.playlist_id)) {
          VC_ASSIGN(auto pl, s.scheduling().find_playlist(e.playlist_id));
          PlaylistPlan plan;
          if (pl) {
            plan.loop = pl->loop;
            plan.shuffle = pl->shuffle;
            plan.transition = pl->transition;
            plan.changed_at_ms = pl->updated_at_ms;
            p.schedule_changed_ms = std::max(p.schedule_changed_ms, pl->updated_at_ms);
            for (const auto& item : pl->items) {
              p.media_ids.insert(item.media_id);  // its media_ready/failed reloads the plan
              VC_ASSIGN(auto m, s.media().find(item.media_id));
              // Skipped: what failed, and documents and folders before their pages exist. Images
              // and videos still being probed play as uploaded.
              if (!m || m->status == "error" || (paged_kind(m->kind) && !(m->page_count && *m->page_count > 0))) continue;
              VC_ASSIGN(auto st, step_of(*m));
              if (paged_kind(m->kind) && m->page_count && *m->page_count > 0) {
                for (int page = 1; page <= *m->page_count && plan.steps.size() < kMaxSteps; ++page) {
                  Step one = st;
                  one.page = page;
                  plan.steps.push_back(std::move(one));
                  plan.durations.push_back(item.duration_ms.value_or(fallback));
                }
              } else if (plan.steps.size() < kMaxSteps) {
                std::int64_t len = item.duration_ms.value_or(0);
                if (!item.duration_ms) {
                  auto probed = (m->kind == MediaKind::video || m->kind == MediaKind::audio) ? probed_ms(*m) : std::nullopt;
                  len = probed.value_or(fallback);
                }
                plan.steps.push_back(std::move(st));
                plan.durations.push_back(std::max<std::int64_t>(len, 1));
              }
            }
          }
          p.playlists.emplace(e.playlist_id, std::move(plan));
        }
        if (e.source == TimelineSource::override_ && !e.media_id.empty() && !p.override_media.count(e.override_id)) {
          p.media_ids.insert(e.media_id);
          VC_ASSIGN(auto m, s.media().find(e.media_id));
          if (m && m->status != "error") {
            VC_ASSIGN(auto st, step_of(*m));
            if (paged_kind(m->kind)) st.page = 1;
            p.override_media.emplace(e.override_id, std::move(st));
          }
        }
      }
      VC_ASSIGN(auto stored, s.devices().state(d->id));
      p.stored = std::move(stored);
      return {};
    });
    if (!r) return r.error();
    return p;
  }

  // Links the media the plan shows that the device does not hold, under a free name; fills the
  // names into the plan.
  Result<void> link_missing(const std::string& device_id, Plan& p,
                            const std::vector<std::pair<std::string, std::string>>& to_link) {
    std::map<std::string, std::string> named;  // media id → file name
    std::string org;
    auto r = ctx.storage.transact([&](StorageSession& s) -> Result<void> {
      VC_ASSIGN(auto d, s.devices().find_by_device_id(device_id));
      if (!d) return make_error(ErrorCode::not_found, "device gone");
      org = d->organization_id;
      for (const auto& [media_id, media_name] : to_link) {
        if (named.count(media_id)) continue;
        VC_ASSIGN(auto clean, sanitize_file_name(media_name));
        auto name = free_name(s, d->id, clean);
        if (name.empty()) return make_error(ErrorCode::conflict, fmt::format("no free name for '{}'", clean));
        VC_TRY(s.media().link(d->id, media_id, name, ctx.now_ms()));
        VC_TRY(s.audit().append(audit_entry(ctx, ScheduleEngine::actor(), "media.link", "media", media_id, org,
                                            JsonWriter().begin_object().key("device_id").value(device_id)
                                                .key("name").value(name).key("reason").value("schedule").end_object().str())));
        named[media_id] = name;
      }
      return {};
    });
    if (!r) return r;
    ctx.cache.bump(media_namespace(org));
    for (const auto& [media_id, name] : named) {
      auto e = domain_event(EventKind::media_linked, org, device_id, media_id, name);
      e.actor_id = ScheduleEngine::actor().id;
      ctx.publish(std::move(e), ScheduleEngine::actor());
    }
    auto fill = [&](Step& st) {
      if (st.file.empty())
        if (auto it = named.find(st.media_id); it != named.end()) st.file = it->second;
    };
    for (auto& [id, pl] : p.playlists)
      for (auto& st : pl.steps) fill(st);
    for (auto& [id, st] : p.override_media) fill(st);
    return {};
  }

  // ---- cues ----
  static const TimelineEntry* entry_at(const std::vector<TimelineEntry>& entries, std::int64_t t) {
    auto it = std::upper_bound(entries.begin(), entries.end(), t,
                               [](std::int64_t v, const TimelineEntry& e) { return v < e.span.begin_ms; });
    if (it == entries.begin()) return nullptr;
    --it;
    return t < it->span.end_ms ? &*it : nullptr;
  }
  static const TimelineEntry* entry_at(const Plan& p, std::int64_t t) { return entry_at(p.entries, t); }

  ScheduleCue cue_of(const Plan& p, std::int64_t t) const {
    ScheduleCue c;
    const TimelineEntry* e = entry_at(p, t);
    if (!e) return c;  // none: outside the plan
    c.why = std::string(to_string(e->source));
    c.begin_ms = e->span.begin_ms;
    c.end_ms = e->span.end_ms;
    auto file_cue = [&](const Step& st) {
      c.kind = ScheduleCue::Kind::file;
      c.file = st.file;
      c.media_id = st.media_id;
      c.page = st.page;
    };
    switch (e->source) {
      case TimelineSource::override_: {
        c.source_id = e->override_id;
        auto it = p.override_media.find(e->override_id);
        if (it != p.override_media.end() && !it->second.file.empty()) {
          file_cue(it->second);
        } else {
          c.kind = ScheduleCue::Kind::message;
          c.message = e->message;
        }
        return c;
      }
      case TimelineSource::assignment:
      case TimelineSource::default_playlist: {
        c.source_id = e->source == TimelineSource::assignment ? e->assignment_id : e->playlist_id;
        c.kind = ScheduleCue::Kind::idle;
        auto it = p.playlists.find(e->playlist_id);
        if (it == p.playlists.end() || it->second.steps.empty()) return c;
        const auto& pl = it->second;
        c.transition = pl.transition;
        std::int64_t changed = pl.changed_at_ms;
        if (auto a = p.assignment_changed.find(e->assignment_id); a != p.assignment_changed.end())
          changed = std::max(changed, a->second);
        // The playlist starts when its span begins, or restarts when it or its assignment changed
        // since; a span older than the plan's look-back counts from the last change (stable on every
        // instance, whenever the plan was loaded).
        std::int64_t span_begin = e->span.begin_ms;
        if (const TimelineEntry* b = entry_at(p.base_entries, t);
            b && b->source == e->source && b->playlist_id == e->playlist_id && b->assignment_id == e->assignment_id)
          span_begin = b->span.begin_ms;
        std::int64_t since = span_begin <= p.from_ms ? changed : std::max(span_begin, changed);
        since = std::min(since, t);
        auto pos = playlist_position(pl.durations, pl.loop, pl.shuffle, fnv1a(e->playlist_id, c.source_id), since, t);
        if (!pos) {  // played through (no loop): idle until the span ends
          std::int64_t total = 0;
          for (auto d : pl.durations) total += d;
          c.begin_ms = std::max(e->span.begin_ms, since + total);
          return c;
        }
        file_cue(pl.steps[pos->step]);
        if (c.file.empty()) {  // could not be linked
          c.kind = ScheduleCue::Kind::idle;
          c.file.clear();
        }
        c.begin_ms = pos->step_begin_ms;
        c.end_ms = std::min(pos->step_end_ms, e->span.end_ms);
        return c;
      }
      case TimelineSource::placeholder:
      case TimelineSource::nothing:
        c.kind = ScheduleCue::Kind::idle;
        return c;
    }
    return c;
  }

  // When a hold that began at `since` ends: never (until resume) or at the first timeline boundary.
  std::int64_t hold_end(const Plan& p, std::int64_t since) const {
    if (options.manual_hold == ManualHold::until_resume) return LLONG_MAX;
    const TimelineEntry* e = entry_at(p, since);
    return e ? e->span.end_ms : p.to_ms;
  }

  // ---- actions ----
  struct Action {
    std::int64_t at_ms = 0;  // the boundary it is for
    std::string device_id, device_pk, org;
    ScheduleCue cue;
    std::optional<ScheduleCue> previous;
    std::optional<int> page_count;
    MediaKind kind = MediaKind::image;
  };

  // Under mu: what the device must be told at `now`, and when to look again.
  void evaluate(const std::string& id, Device& d, std::int64_t now, std::vector<Action>& actions) {
    if (!d.plan) return;
    const Plan& p = *d.plan;
    const std::int64_t reload_at = p.to_ms - 3'600'000;
    if (now >= reload_at) {
      dirty.insert(id);
      return;
    }
    ScheduleCue cue = cue_of(p, now);
    std::int64_t next = std::min(cue.end_ms > now ? cue.end_ms : now + kRetryMs, reload_at);
    // A state a person stored (before a restart, or on an instance that held the device before) is
    // a hold as well, unless the schedule changed since (until_boundary) or it was resumed.
    if (!d.hold_checked) {
      d.hold_checked = true;
      if (p.stored && !p.stored->scheduled && p.stored->updated_at_ms > 0 && !holds.count(id) &&
          (options.manual_hold == ManualHold::until_resume || p.stored->updated_at_ms >= p.schedule_changed_ms))
        holds[id] = Hold{p.stored->updated_at_ms, d.org};
    }
    // An emergency override shows through manual control.
    if (auto h = holds.find(id); h != holds.end() && cue.why != "override") {
      const auto until = hold_end(p, h->second.since_ms);
      if (now < until) {
        d.sent.reset();  // when the hold ends, the schedule's cue is sent whatever was sent before
        d.sent_content = false;
        enqueue(id, d, std::min(next, until));
        return;
      }
      holds.erase(h);
    }
    enqueue(id, d, next);
    if (cue.kind == ScheduleCue::Kind::none) return;
    auto same = [](const ScheduleCue& a, const ScheduleCue& b) {
      return a.kind == b.kind && a.file == b.file && a.page == b.page && a.message == b.message &&
             (a.kind == ScheduleCue::Kind::idle || a.begin_ms == b.begin_ms);
    };
    if (d.sent && same(*d.sent, cue)) return;
    if (!d.sent && cue.kind == ScheduleCue::Kind::file && p.stored && p.stored->file == cue.file &&
        p.stored->page == cue.page && p.stored->state == PlaybackState::playing && p.stored->updated_at_ms >= cue.begin_ms) {
      // Already showing it since this item began (stored by the instance that held the device before,
      // or by this one before a restart): the player got it with player/state; nothing is resent.
      d.sent = cue;
      d.sent_content = true;
      return;
    }
    if (cue.kind == ScheduleCue::Kind::idle && !d.sent_content) {
      d.sent = cue;  // the schedule never put anything on: manual content and placeholders stay
      return;
    }
    push_action(id, d, cue, now, actions);
  }

  static const Step* step_of_media(const Plan& p, const std::string& media_id) {
    for (const auto& [pid, pl] : p.playlists)
      for (const auto& st : pl.steps)
        if (st.media_id == media_id) return &st;
    for (const auto& [oid, st] : p.override_media)
      if (st.media_id == media_id) return &st;
    return nullptr;
  }

  // Under mu: `cue` is sent to the device at `at`.
  void push_action(const std::string& id, Device& d, const ScheduleCue& cue, std::int64_t at, std::vector<Action>& actions) {
    const Plan& p = *d.plan;
    Action a;
    a.at_ms = at;
    a.device_id = id;
    a.device_pk = p.device_pk;
    a.org = d.org;
    a.cue = cue;
    a.previous = d.sent;
    if (cue.kind == ScheduleCue::Kind::file)
      if (const Step* st = step_of_media(p, cue.media_id)) {
        a.kind = st->kind;
        a.page_count = st->page_count;
      }
    d.sent = cue;
    d.sent_content = cue.kind != ScheduleCue::Kind::idle;
    actions.push_back(std::move(a));
  }

  // Under mu: a player reported that `file` ended at `now`. When it is the scheduled video or audio
  // and its boundary is not about to come, the playlist's next item starts now (it keeps its own
  // boundary, so the step after it is on time again). Not for an item that itself started ahead of
  // its time (a device is at most one item ahead), not across a change of the timeline (the next
  // assignment, override or idle begins at its time), not under manual control.
  void advance_on_end(const std::string& id, Device& d, const std::string& file, std::int64_t now, std::vector<Action>& actions) {
    if (!d.plan || !d.sent || holds.count(id)) return;
    const ScheduleCue cur = *d.sent;
    if (cur.kind != ScheduleCue::Kind::file || cur.file != file || cur.why == "override") return;
    if (cur.begin_ms > now || cur.end_ms - now <= kEndSlackMs) return;
    const Step* st = step_of_media(*d.plan, cur.media_id);
    if (!st || (st->kind != MediaKind::video && st->kind != MediaKind::audio)) return;
    ScheduleCue next = cue_of(*d.plan, cur.end_ms);
    if (next.kind != ScheduleCue::Kind::file || next.why != cur.why || next.source_id != cur.source_id ||
        next.begin_ms != cur.end_ms)
      return;
    ++counters.early_ends;
    push_action(id, d, next, now, actions);
  }

  // Sleeps until the services' clock reads `at` (a boundary computed `lead` ahead), at most the lead
  // and a little more in real time (a ManualClock in tests does not move by itself).
  void wait_until(std::int64_t at, std::int64_t now) {
    if (at <= now) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(at - now + 20);
    for (;;) {
      const auto left = at - ctx.now_ms();
      if (left <= 0 || std::chrono::steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(left, 50)));
    }
  }

  static std::string with_fields(std::string payload, const ScheduleCue& c, std::int64_t now) {
    // The play payload plus what browser players use: the transition and how far into the item
    // the player is (after a reconnect); 2.x players ignore both.
    if (payload.size() < 2 || payload.back() != '}') return payload;
    payload.pop_back();
    JsonWriter w;
    w.begin_object().key("transition").value(c.transition.empty() ? "none" : c.transition)
        .key("offset_ms").value(std::max<std::int64_t>(0, now - c.begin_ms)).key("scheduled").value(true).end_object();
    auto extra = std::move(w).str();  // {"transition":…}
    payload += ',';
    payload += extra.substr(1);
    return payload;
  }

  // Builds the messages, sends each boundary's at its time (to the players here), then stores the
  // states in one transaction and tells every instance's panels.
  void carry_out(std::vector<Action>& actions, std::int64_t now) {
    if (actions.empty()) return;
    std::stable_sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) { return a.at_ms < b.at_ms; });
    static const std::string kClear = R"({"text":null})";
    struct Built {
      std::int64_t at_ms;
      std::vector<ScheduleDelivery> messages;
    };
    std::vector<Built> batches;
    std::deque<std::string> payloads;  // stable addresses for the deliveries
    std::unordered_map<std::string, const std::string*> shared;  // one copy of each distinct payload
    auto keep = [&](std::string text) -> const std::string* {
      auto it = shared.find(text);
      if (it != shared.end()) return it->second;
      payloads.push_back(text);
      return shared.emplace(std::move(text), &payloads.back()).first->second;
    };
    std::vector<std::pair<const Action*, NowPlaying>> states;
    states.reserve(actions.size());
    for (const auto& a : actions) {
      if (batches.empty() || batches.back().at_ms != a.at_ms) batches.push_back({a.at_ms, {}});
      auto& out = batches.back().messages;
      if (a.previous && a.previous->kind == ScheduleCue::Kind::message) out.push_back({a.device_id, "player/message", &kClear});
      NowPlaying n;
      n.state = PlaybackState::stopped;
      switch (a.cue.kind) {
        case ScheduleCue::Kind::file: {
          PlaybackCommand cmd;
          cmd.action = PlaybackAction::play;
          cmd.file = a.cue.file;
          cmd.page = a.cue.page;
          playback_machine::File f{a.cue.file, a.kind, a.page_count};
          auto step = playback_machine::step(NowPlaying{}, std::nullopt, cmd, &f);
          if (!step) {
            log_warn("schedule: cannot play", {{"device_id", a.device_id}, {"file", a.cue.file}, {"error", step.error().message}});
            continue;
          }
          out.push_back({a.device_id, "player/play", keep(with_fields(step->player_payload, a.cue, a.at_ms))});
          n = std::move(step->state);
          break;
        }
        case ScheduleCue::Kind::message:
          out.push_back({a.device_id, "player/stop", nullptr});
          out.push_back({a.device_id, "player/message",
                         keep(std::move(JsonWriter().begin_object().key("text").value(a.cue.message).key("override_id")
                                            .value(a.cue.source_id).end_object()).str())});
          break;
        case ScheduleCue::Kind::idle:
          out.push_back({a.device_id, "player/stop", nullptr});
          break;
        case ScheduleCue::Kind::none:
          continue;
      }
      n.updated_at_ms = a.at_ms;
      n.scheduled = true;
      states.emplace_back(&a, std::move(n));
    }
    for (const auto& b : batches) {
      wait_until(b.at_ms, now);
      sink.deliver_many(b.messages);
    }
    {
      std::lock_guard lock(mu);
      counters.cues_sent += states.size();
    }
    // A command given since the boundary (a speaker's play, at a later time) stays: its state is
    // newer, and neither it nor the panels are told about the boundary's.
    std::vector<char> stored(states.size(), 0);
    auto r = ctx.storage.transact([&](StorageSession& s) -> Result<void> {
      for (std::size_t i = 0; i < states.size(); ++i) {
        VC_ASSIGN(bool done, s.devices().put_state_unless_newer(states[i].first->device_pk, states[i].second));
        stored[i] = done ? 1 : 0;
      }
      return {};
    });
    if (!r) {
      log_warn("schedule: storing the new states failed", {{"error", r.error().message}});
      std::lock_guard lock(mu);
      ++counters.errors;
      return;
    }
    std::set<std::string> orgs;
    for (std::size_t i = 0; i < states.size(); ++i)
      if (stored[i]) orgs.insert(states[i].first->org);
    for (const auto& o : orgs) ctx.cache.bump(devices_namespace(o));
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (!stored[i]) continue;
      const auto& [a, n] = states[i];
      // Delivered already by this instance: the event only updates the panels (preview/refresh).
      DomainEvent e;
      e.kind = EventKind::playback_changed;
      e.organization_id = a->org;
      e.device_id = a->device_id;
      e.state = Playback::state_json(n);
      e.actor_id = ScheduleEngine::actor().id;  // (a system actor is not stamped by publish)
      ctx.publish(std::move(e), ScheduleEngine::actor());
    }
  }

  std::optional<std::int64_t> run_due() {
    const std::int64_t now = ctx.now_ms();
    // A plan that ran out is reloaded and evaluated in a second pass, not a turn later.
    for (int pass = 0; pass < 2; ++pass) {
      run_pass(now);
      std::lock_guard lock(mu);
      if (dirty.empty() && reevaluate.empty() && ended.empty()) break;
    }
    std::lock_guard lock(mu);
    if (!dirty.empty() || !reevaluate.empty() || !ended.empty()) return now;
    if (!queue.empty()) return queue.begin()->first;
    return std::nullopt;
  }

  void run_pass(std::int64_t now) {
    std::vector<std::string> load;
    std::vector<std::pair<std::string, std::int64_t>> due;  // device, the time to evaluate it at
    std::unordered_map<std::string, std::string> ends;
    const std::int64_t lead = options.lead.count();
    {
      std::lock_guard lock(mu);
      wake = false;
      load.assign(dirty.begin(), dirty.end());
      dirty.clear();
      for (auto& id : reevaluate) due.emplace_back(id, now);
      reevaluate.clear();
      ends.swap(ended);
      // What is due within the lead is evaluated now for its boundary and sent at it.
      while (!queue.empty() && queue.begin()->first <= now + lead) {
        auto [at, id] = *queue.begin();
        queue.erase(queue.begin());
        if (auto it = devices.find(id); it != devices.end()) it->second.due_ms = -1;
        due.emplace_back(std::move(id), std::max(at, now));
      }
    }
    for (const auto& id : load) {
      std::vector<std::pair<std::string, std::string>> to_link;
      auto plan = load_plan(id, now, to_link);
      if (plan && !to_link.empty()) {
        if (auto l = link_missing(id, *plan, to_link); !l)
          log_warn("schedule: linking the playlist's media to the device failed", {{"device_id", id}, {"error", l.error().message}});
      }
      std::lock_guard lock(mu);
      auto it = devices.find(id);
      if (it == devices.end()) continue;  // untracked meanwhile
      ++counters.plans_loaded;
      if (!plan && plan.error().code == ErrorCode::not_found) {  // the device (or its organisation) is gone
        enqueue(id, it->second, -1);
        devices.erase(it);
        continue;
      }
      if (!plan) {
        ++counters.errors;
        log_warn("schedule: the device's plan could not be loaded", {{"device_id", id}, {"error", plan.error().message}});
        enqueue(id, it->second, now + kRetryMs);
        continue;
      }
      it->second.plan = std::make_shared<const Plan>(std::move(*plan));
      due.emplace_back(id, now);
    }
    std::vector<Action> actions;
    {
      std::lock_guard lock(mu);
      std::sort(due.begin(), due.end());  // by device, then the earliest time first
      due.erase(std::unique(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first == b.first; }), due.end());
      for (const auto& [id, at] : due)
        if (auto it = devices.find(id); it != devices.end()) evaluate(id, it->second, at, actions);
      for (const auto& [id, file] : ends)
        if (auto it = devices.find(id); it != devices.end()) advance_on_end(id, it->second, file, now, actions);
      // Expired holds of devices not tracked here go after a day.
      if (!holds.empty() && options.manual_hold == ManualHold::until_boundary)
        std::erase_if(holds, [&](const auto& h) { return !devices.count(h.first) && h.second.since_ms < now - 86'400'000; });
    }
    carry_out(actions, now);
  }

  void on_event(const DomainEvent& e) {
    std::lock_guard lock(mu);

    auto mark = [&](const std::string& id) {
      if (devices.count(id)) dirty.insert(id);
    };
    switch (e.kind) {
      case EventKind::schedule_changed:
        if (e.name == "resume") {
          for (const auto& id : e.devices()) {
            holds.erase(id);
            if (devices.count(id)) reevaluate.insert(id);
          }
        } else {
          // A change of the device's schedule is a boundary too (unless holds last until resumed).
          std::vector<std::string> touched;
          if (e.devices().empty()) {
            for (const auto& [id, d] : devices)
              if (d.org == e.organization_id) touched.push_back(id);
            if (options.manual_hold == ManualHold::until_boundary)
              std::erase_if(holds, [&](const auto& h) { return h.second.org == e.organization_id; });
          } else {
            touched = e.devices();
          }
          for (const auto& id : touched) {
            mark(id);
            if (options.manual_hold == ManualHold::until_boundary) holds.erase(id);
          }
        }
        break;
      case EventKind::playback_changed:
        if (e.actor_id == ScheduleEngine::actor().id || e.device_id.empty()) return;
        holds[e.device_id] = Hold{e.at_ms, e.organization_id};
        if (devices.count(e.device_id)) reevaluate.insert(e.device_id);
        break;
      case EventKind::media_ready:
      case EventKind::media_failed:
      case EventKind::media_deleted:
      case EventKind::media_renamed:
      case EventKind::media_unlinked:
      case EventKind::media_moved:
      case EventKind::media_linked:
      case EventKind::placeholder_changed:
        if (e.actor_id == ScheduleEngine::actor().id && e.kind == EventKind::media_linked) return;  // our own
        for (const auto& id : e.devices()) mark(id);
        if (!e.media_id.empty())
          for (const auto& [id, d] : devices)
            if (d.plan && d.plan->media_ids.count(e.media_id)) dirty.insert(id);
        break;
      case EventKind::device_deleted:
        for (const auto& id : e.devices()) mark(id);
        break;
      default:
        return;
    }
    if (!dirty.empty() || !reevaluate.empty()) notify();
  }

  void loop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      std::optional<std::int64_t> next;
      try {
        next = run_due();
      } catch (const std::exception& ex) {
        log_error("schedule engine: run failed", {{"error", ex.what()}});
      }
      lock.lock();
      if (stopping) break;
      if (wake || !dirty.empty() || !reevaluate.empty() || !ended.empty()) continue;
      const std::int64_t now = ctx.now_ms();
      const std::int64_t wait = next ? std::clamp<std::int64_t>(*next - options.lead.count() - now, 0, 60'000) : 60'000;
      if (wait == 0) continue;
      cv.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stopping || wake; });
    }
  }
};

ScheduleEngine::ScheduleEngine(Services& services, ScheduleSink& sink, ScheduleEngineOptions options)
    : impl_(std::make_unique<Impl>(services, sink, options)) {}

ScheduleEngine::~ScheduleEngine() { stop(); }

void ScheduleEngine::track(std::string_view device_id, std::string_view organization_id) {
  std::lock_guard lock(impl_->mu);
  auto [it, inserted] = impl_->devices.try_emplace(std::string(device_id));
  it->second.org = std::string(organization_id);
  impl_->dirty.insert(it->first);
  impl_->notify();
}

void ScheduleEngine::untrack(std::string_view device_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->devices.find(std::string(device_id));
  if (it == impl_->devices.end()) return;
  impl_->enqueue(it->first, it->second, -1);
  impl_->dirty.erase(it->first);
  impl_->reevaluate.erase(it->first);
  impl_->ended.erase(it->first);
  impl_->devices.erase(it);
}

void ScheduleEngine::on_event(const DomainEvent& event) { impl_->on_event(event); }

void ScheduleEngine::player_ended(std::string_view device_id, std::string_view file) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->devices.find(std::string(device_id));
  if (it == impl_->devices.end() || file.empty()) return;
  impl_->ended[it->first] = std::string(file);
  impl_->notify();
}

std::optional<std::int64_t> ScheduleEngine::run_due() { return impl_->run_due(); }

void ScheduleEngine::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void ScheduleEngine::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::optional<ScheduleCue> ScheduleEngine::cue_at(std::string_view device_id, std::int64_t at_ms) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->devices.find(std::string(device_id));
  if (it == impl_->devices.end() || !it->second.plan) return std::nullopt;
  return impl_->cue_of(*it->second.plan, at_ms);
}

ScheduleEngineStats ScheduleEngine::stats() const {
  std::lock_guard lock(impl_->mu);
  auto s = impl_->counters;
  s.tracked = impl_->devices.size();
  s.held = 0;
  for (const auto& [id, h] : impl_->holds)
    if (impl_->devices.count(id)) ++s.held;
  return s;
}

}  // namespace vc
