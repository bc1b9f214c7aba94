#!/usr/bin/python3
"""Integration test of the schedule engine (issue 13) against the real server binary, with Debian's
python3-socketio as the players and as a speaker's control panel. Every test computes what must play
from the API's own answers (playlist and assignment updated_at, the item durations) and compares it
with what the players receive, to the millisecond of arrival (time.time() on the same machine).

1. The timeline equals what is sent: a playlist of three FFmpeg images (2 s, 3 s, 2 s) assigned to a
   device plays item by item, each player/play within TOLERANCE of its boundary; a second device,
   in a group whose weekly assignment is not active now, plays its default playlist; the device
   timeline for now says assignment / default_playlist; the stored now-playing state follows.
2. Manual hold (SCHEDULE_MANUAL_HOLD=resume, SCHEDULE_ITEM_SECONDS=2): a speaker's REST command and
   a Socket.IO control/play stop the schedule's plays for more than a cycle; POST …/schedule/resume
   brings the current item back within 1 s; a viewer gets 403, another organisation 404. With the
   default (boundary), a change of the device's schedule ends the hold and the playlist restarts.
3. An emergency override message: player/stop + player/message {text}; no plays while it is on;
   cleared: player/message {text:null}, then the playlist's current item.
4. Failover: two instances sharing one PostgreSQL database and Redis. A player on A; kill -9 A just
   before a boundary; the player, pointed at B after the boundary, gets the item of "now" from B, then
   B's boundaries on time; A started again, B killed mid-item, the player on A: the item is not sent
   again (player/state has it), the next boundary comes from A. No boundary is ever played twice.
   Manual control through B holds the schedule on A (over Redis) until resumed through B.
   Needs VC_TEST_POSTGRES_URL (ctest: schedule_engine_integration_on_postgresql) and redis-server
   (a throwaway one is started on a free port); skipped with a message otherwise.
1c. The browser player's end-of-playback report (player/status "ended") moves the schedule on: the
   next item starts at once, the boundary after it is on time.
test_2c (a resume hold survives a restart) and test_3b (the item after a timed override's end does
not depend on when the plan was loaded) were written against two engine bugs, fixed since.

Runs on SQLite and, with VC_TEST_POSTGRES_URL, on PostgreSQL (each single instance on a database of
its own, the failover pair on one shared database).

Usage: /usr/bin/python3 tests/integration/test_schedule_engine.py --binary PATH/videocontrol-server
"""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import api_support  # noqa: E402
from api_support import ApiTestCase, Server, free_port, unique  # noqa: E402
# The realtime suite's world (organisations, users and devices through REST) and its python-socketio
# clients.
from test_realtime import Client, Player, RestartableServer, World, multipart  # noqa: E402

# How far from its boundary a play may arrive (s). VC_SCHEDULE_TOLERANCE_MS widens it on a slow machine.
TOLERANCE = float(os.environ.get("VC_SCHEDULE_TOLERANCE_MS", "300")) / 1000.0
QUIET_ENV = {"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
             # No conversion jobs: images play as uploaded, and no converter competes for the CPU.
             "PROCESSING_WORKERS": "0"}
JWT_SECRET = "schedule-engine-test-jwt-secret-0123456789"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --------------------------------------------------------------------------
# fixtures and arithmetic
# --------------------------------------------------------------------------

_IMAGES = {}


def images():
    """name → PNG bytes, three distinct images made by FFmpeg (once per run)."""
    if not _IMAGES:
        with tempfile.TemporaryDirectory() as d:
            for name, colour in (("red.png", "red"), ("green.png", "green"), ("blue.png", "blue"),
                                 ("manual.png", "yellow")):
                path = os.path.join(d, name)
                subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                                "color=c=%s:s=160x90" % colour, "-frames:v", "1", path], check=True, timeout=60)
                with open(path, "rb") as f:
                    _IMAGES[name] = f.read()
    return dict(_IMAGES)


_CLIP = {}


def clip():
    """A 1 s FFmpeg test video (MP4, H.264), made once per run."""
    if not _CLIP:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "clip.mp4")
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                            "testsrc=size=160x90:rate=10", "-t", "1", "-pix_fmt", "yuv420p", path],
                           check=True, timeout=60)
            with open(path, "rb") as f:
                _CLIP["clip.mp4"] = f.read()
    return _CLIP["clip.mp4"]


def epoch(rfc3339):
    """'2026-12-02T17:00:06.385Z' → seconds since the epoch (float)."""
    return datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Expected:
    """Where a looping playlist is at a time: it started at `since` (s), its steps last `durations` (s)."""

    def __init__(self, since, files, durations):
        self.since, self.files, self.durations = since, list(files), list(durations)
        self.cycle = sum(durations)

    def at(self, t):
        """(index, file, begin, end) of the step playing at t."""
        n = int((t - self.since) // self.cycle)
        begin = self.since + n * self.cycle
        for i, d in enumerate(self.durations):
            if t < begin + d:
                return i, self.files[i], begin, begin + d
            begin += d
        return 0, self.files[0], begin, begin + self.durations[0]  # float edge

    def boundaries(self, t0, t1):
        """[(time, file)] of every step beginning in (t0, t1]."""
        out = []
        _, _, _, b = self.at(t0)
        while b <= t1:
            i, f, begin, end = self.at(b + 1e-6)
            out.append((begin, f))
            b = end
        return out

    def wait_mid(self, margin=0.7, min_left=None):
        """Sleeps until at least `margin` s after a boundary and `min_left` (default margin) s before the next."""
        min_left = margin if min_left is None else min_left
        while True:
            t = time.time()
            _, _, begin, end = self.at(t)
            if t - begin >= margin and end - t >= min_left:
                return t
            time.sleep(0.02)


def sleep_until(t):
    while True:
        left = t - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


# --------------------------------------------------------------------------
# players that note when each event arrived
# --------------------------------------------------------------------------

class At:
    """A world-like object pointing clients at one instance (the failover test connects to B)."""

    def __init__(self, server):
        self.server = server

    def url(self):
        return "http://127.0.0.1:%d" % self.server.port


class TimedPlayer(Player):
    """test_realtime's Player, with the wall-clock arrival time of every event."""

    def __init__(self, world, device_id, **kw):
        self.timed = []  # (name, args, time.time())
        super().__init__(world, device_id, **kw)

    def _hooks(self):
        super()._hooks()

        @self.sio.on("*")
        def any_event(name, *args):
            now = time.time()
            with self.cond:
                self.events.append((name, args))
                self.timed.append((name, args, now))
                self.cond.notify_all()

    def plays(self, since_index=0):
        """[(payload, arrival)] of every player/play from timed index `since_index`."""
        with self.cond:
            return [(a[0], t) for n, a, t in self.timed[since_index:] if n == "player/play"]

    def tmark(self):
        with self.cond:
            return len(self.timed)

    def timed_since(self, index, names=None):
        with self.cond:
            return [(n, a, t) for n, a, t in self.timed[index:] if names is None or n in names]


# --------------------------------------------------------------------------
# shared test code
# --------------------------------------------------------------------------

class EngineCase(ApiTestCase):
    """Helpers over one World (orgs a and b, viewer/speaker/operator each)."""

    w = None

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def call(self, method, path, body=None, who=("a", "operator"), server=None, **kw):
        return (server or self.w.server).call(method, path, body, token=self.w.tok(*who), **kw)

    def player(self, device_id, world=None, **kw):
        p = TimedPlayer(world or self.w, device_id, transports=["websocket"], **kw)
        self.clients.append(p)
        return p

    def control(self, org="a", role="speaker"):
        c = Client(self.w, token=self.w.tok(org, role), transports=["websocket"])
        self.clients.append(c)
        return c

    def new_device(self, org="a", server=None):
        d = unique("se-" + org)
        self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": d, "name": "Screen " + d},
                                    who=(org, "operator"), server=server), 201)
        return d

    def upload(self, device_id, names, org="a", server=None):
        """Uploads FFmpeg images to a device; returns name → media id."""
        imgs = images()
        body, ctype = multipart({n: imgs[n] for n in names})
        r = self.assertStatus(self.call("POST", "/api/v1/devices/%s/media" % device_id, body, who=(org, "operator"),
                                        server=server, headers={"Content-Type": ctype}), 201)
        return {item["name"]: item["id"] for item in r.json()["items"]}

    def playlist(self, media, durations_ms, org="a", server=None, transition="none"):
        """A looping playlist of (name, media id) pairs; durations None: SCHEDULE_ITEM_SECONDS."""
        items = []
        for (name, mid), d in zip(media, durations_ms):
            item = {"media_id": mid}
            if d is not None:
                item["duration_ms"] = d
            items.append(item)
        return self.assertStatus(self.call("POST", "/api/v1/playlists",
                                           {"name": unique("pl"), "loop": True, "shuffle": False,
                                            "transition": transition, "items": items},
                                           who=(org, "operator"), server=server), 201).json()

    def assign(self, playlist_id, device_id=None, group_id=None, schedule=None, org="a", server=None):
        body = {"playlist_id": playlist_id, "priority": 0, "schedule": schedule or {"kind": "always"}}
        if device_id:
            body["device_id"] = device_id
        if group_id:
            body["group_id"] = group_id
        return self.assertStatus(self.call("POST", "/api/v1/assignments", body, who=(org, "operator"), server=server),
                                 201).json()

    def expected(self, playlist, assignment, files, durations_s, org="a", server=None):
        """The position rule: the playlist starts at max(playlist.updated_at, assignment.updated_at)
        (the span of an 'always' rule or of a default playlist began days before). Read back now, so a
        change the engine made meanwhile would show."""
        pl = self.assertStatus(self.call("GET", "/api/v1/playlists/" + playlist["id"], who=(org, "viewer"),
                                         server=server), 200).json()
        since = epoch(pl["updated_at"])
        if assignment is not None:
            items = self.assertStatus(self.call("GET", "/api/v1/assignments", who=(org, "viewer"), server=server),
                                      200).json()["items"]
            a = next(x for x in items if x["id"] == assignment["id"])
            since = max(since, epoch(a["updated_at"]))
        return Expected(since, files, durations_s)

    def now_playing(self, device_id, org="a", server=None):
        r = self.assertStatus(self.call("GET", "/api/v1/devices/" + device_id, who=(org, "viewer"), server=server), 200)
        return r.json()["now_playing"]

    def assert_stored_follows(self, device_id, exp, org="a", server=None, timeout=3.0):
        """The stored now-playing state is the schedule's item of the moment. The engine writes it
        right after it sends the play, so a read just after a boundary or a resume (the player already
        has the play) may still see the state before it: asked again until `timeout`."""
        deadline = time.time() + timeout
        while True:
            _, f, _, _ = exp.at(time.time())
            np = self.now_playing(device_id, org=org, server=server)
            if (np.get("file"), np.get("state")) == (f, "playing") or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual((np.get("file"), np.get("state")), (f, "playing"), np)

    def timeline_now(self, device_id, org="a", server=None):
        t = time.time()
        r = self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % device_id, who=(org, "viewer"),
                                        server=server, query={"from": rfc3339(t), "to": rfc3339(t + 60)}), 200)
        entries = r.json()["entries"]
        self.assertEqual(len(entries), 1, entries)
        return entries[0]

    # -- comparing what arrived with what must --------------------------------------------------

    def assert_first_play(self, play, exp, label, trigger=None):
        """The play sent when a device starts being driven mid-item (a registration, a resume, an
        override's end): the item of that moment, with offset_ms saying how far into it. The engine
        takes its clock before loading the plan, so offset_ms tells an instant between `trigger` (when
        the registration or request was sent) and the arrival."""
        payload, t = play
        _, f, begin, _ = exp.at(t)
        self.assertEqual(payload.get("file"), f, "%s: first play %r at %s, expected %s" % (label, payload, rfc3339(t), f))
        self.assertIs(payload.get("scheduled"), True, payload)
        offset = payload["offset_ms"] / 1000.0
        lo = (t if trigger is None else max(trigger, begin)) - begin - TOLERANCE
        self.assertTrue(lo <= offset <= t - begin + TOLERANCE,
                        "%s: offset_ms %r, arrived %.3f s into the item (sent %.3f s in)" %
                        (label, payload, t - begin, lo + TOLERANCE))

    def assert_boundaries(self, plays, exp, t0, t1, label):
        """Every boundary in (t0, t1] arrived once, in order, with its file, within TOLERANCE, with
        offset_ms ≈ 0; nothing else arrived. Returns the worst lateness (s)."""
        want = exp.boundaries(t0, t1)
        got = [(p, t) for p, t in plays if t0 < t <= t1 + TOLERANCE]
        self.assertEqual([f for _, f in want], [p.get("file") for p, _ in got],
                         "%s: files %s\nexpected %s" % (label, [(p.get("file"), rfc3339(t)) for p, t in got],
                                                        [(f, rfc3339(b)) for b, f in want]))
        worst = 0.0
        for (b, f), (p, t) in zip(want, got):
            worst = max(worst, abs(t - b))
            self.assertLessEqual(abs(t - b), TOLERANCE, "%s: %s arrived %+.3f s from its boundary %s" %
                                 (label, f, t - b, rfc3339(b)))
            self.assertIs(p.get("scheduled"), True, p)
            self.assertLessEqual(p.get("offset_ms"), TOLERANCE * 1000, p)
            self.assertEqual(p.get("type"), "image", p)
        return worst

    def assert_no_scheduled_play(self, player, mark, label):
        got = [p for p, _ in player.plays(mark) if p.get("scheduled")]
        self.assertEqual(got, [], "%s: the schedule played during manual control" % label)


# --------------------------------------------------------------------------
# 1-3: one instance
# --------------------------------------------------------------------------

class SingleInstance(EngineCase):
    """Tests 1 and 3 and the boundary hold on a server with the defaults; the resume hold on another."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=dict(QUIET_ENV))
        try:
            cls.w = World(cls.server, devices_per_org=1)
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # ------------------------------------------------------------------
    def test_1_timeline_equals_what_is_sent(self):
        started = time.time()
        files = ["red.png", "green.png", "blue.png"]
        dev = self.new_device()
        media = self.upload(dev, files)
        pl = self.playlist([(f, media[f]) for f in files], [2000, 3000, 2000], transition="fade")
        asg = self.assign(pl["id"], device_id=dev)
        exp = self.expected(pl, asg, files, [2.0, 3.0, 2.0])

        # A second device, in a group whose weekly rule runs three days from now (00:00–01:00 UTC, so
        # it is not active now nor was yesterday): its default playlist plays.
        dev2 = self.new_device()
        g = self.assertStatus(self.call("POST", "/api/v1/groups", {"name": unique("hall"), "device_ids": [dev2]}),
                              201).json()
        other = self.playlist([("red.png", media["red.png"])], [2000])
        later = WEEKDAYS[(datetime.datetime.now(datetime.timezone.utc).weekday() + 3) % 7]
        self.assign(other["id"], group_id=g["id"],
                    schedule={"kind": "weekly", "ranges": [{"days": [later], "start": "00:00", "end": "01:00"}]})
        files2 = ["blue.png", "green.png"]
        default = self.playlist([(f, media[f]) for f in files2], [3000, 2000])
        self.assertStatus(self.call("PUT", "/api/v1/devices/%s/schedule" % dev2,
                                    {"default_playlist_id": default["id"], "timezone": "UTC"}), 200)
        exp2 = self.expected(default, None, files2, [3.0, 2.0])

        # What the timeline says for now.
        e = self.timeline_now(dev)
        self.assertEqual((e["source"], e["playlist_id"], e["assignment_id"]), ("assignment", pl["id"], asg["id"]), e)
        e = self.timeline_now(dev2)
        self.assertEqual((e["source"], e["playlist_id"], e["assignment_id"]), ("default_playlist", default["id"], None), e)

        # The players connect mid-item (so the first play is not a boundary's).
        exp.wait_mid()
        t_connect1 = time.time()
        p1 = self.player(dev)
        exp2.wait_mid()
        t_connect2 = time.time()
        p2 = self.player(dev2)
        p1.wait_for("player/play")
        p2.wait_for("player/play")
        # Watch ~16 s; stop in the middle of an item so no boundary is on the edge.
        sleep_until(time.time() + 15.0)
        end = exp.wait_mid(margin=0.6, min_left=0.6)
        end2 = exp2.wait_mid(margin=0.6, min_left=0.6)
        plays1, plays2 = p1.plays(), p2.plays()
        # Nothing changed the position rule meanwhile (a plan reload, a media link).
        exp_after = self.expected(pl, asg, files, [2.0, 3.0, 2.0])
        self.assertEqual(exp_after.since, exp.since, "playlist/assignment updated_at changed while playing")

        self.assertGreaterEqual(len(plays1), 1)
        self.assert_first_play(plays1[0], exp, "device 1", t_connect1)
        self.assertLess(plays1[0][1] - t_connect1, 1.0, "the first play came late")
        self.assertEqual(plays1[0][0].get("transition"), "fade", plays1[0])
        worst1 = self.assert_boundaries(plays1[1:], exp, plays1[0][1], end, "device 1")
        self.assertGreaterEqual(len(plays1), 6, plays1)
        self.assert_first_play(plays2[0], exp2, "device 2", t_connect2)
        self.assertLess(plays2[0][1] - t_connect2, 1.0, "the first play came late")
        self.assertEqual(plays2[0][0].get("transition"), "none", plays2[0])
        worst2 = self.assert_boundaries(plays2[1:], exp2, plays2[0][1], end2, "device 2 (default playlist)")
        self.assertGreaterEqual(len(plays2), 5, plays2)
        # Nothing but plays: no stop, pause or message from the schedule.
        for pl_, label in ((p1, "device 1"), (p2, "device 2")):
            others = [n for n, _, _ in pl_.timed_since(0) if n not in ("player/state", "player/registered", "player/play")]
            self.assertEqual(others, [], label)
        # The engine linked the default playlist's media to the second device under their names.
        r = self.assertStatus(self.call("GET", "/api/v1/devices/%s/media" % dev2, who=("a", "viewer")), 200)
        self.assertTrue(set(files2) <= {m["name"] for m in r.json()["items"]}, r.json())
        # The stored now-playing state follows the schedule.
        exp.wait_mid(margin=0.3, min_left=0.5)
        self.assert_stored_follows(dev, exp)
        sys.stderr.write("\n  [schedule] device 1: %d plays, device 2: %d plays, worst lateness %.0f / %.0f ms"
                         " (test %.1f s)\n" % (len(plays1), len(plays2), worst1 * 1000, worst2 * 1000,
                                              time.time() - started))

    # ------------------------------------------------------------------
    def test_1c_end_of_playback_report_moves_the_schedule_on(self):
        """A video whose item lasts 6 s but which ends after 1 s: the browser player's player/status
        "ended" starts the next item at once (offset 0), nothing is sent at the video's old boundary,
        and the boundary after the next item is on time again. A report for a file the schedule is not
        showing changes nothing."""
        dev = self.new_device()
        media = self.upload(dev, ["red.png"])
        body, ctype = multipart({"clip.mp4": clip()})
        r = self.assertStatus(self.call("POST", "/api/v1/devices/%s/media" % dev, body,
                                        headers={"Content-Type": ctype}), 201)
        self.assertEqual(r.json()["items"][0]["kind"], "video", r.json())
        media["clip.mp4"] = r.json()["items"][0]["id"]
        files = ["clip.mp4", "red.png"]
        pl = self.playlist([(f, media[f]) for f in files], [6000, 2000])
        asg = self.assign(pl["id"], device_id=dev)
        exp = self.expected(pl, asg, files, [6.0, 2.0])
        p = self.player(dev)
        p.wait_for("player/play")
        t = time.time()
        begin = next(b for b, f in exp.boundaries(t + 0.5, t + 10) if f == "clip.mp4")
        sleep_until(begin + 1.2)
        m = p.tmark()
        self.assertEqual(p.call("player/status", {"state": "ended", "file": "red.png", "type": "image"}), {"ok": True})
        time.sleep(0.5)
        self.assertEqual(p.plays(m), [], "a report for another file moved the schedule")
        t_report = time.time()
        self.assertEqual(p.call("player/status", {"state": "ended", "file": "clip.mp4", "type": "video",
                                                  "position": 1.0}), {"ok": True})
        p.wait_for("player/play", start=m, timeout=3)
        play, t_play = p.plays(m)[0]
        self.assertEqual(play.get("file"), "red.png", play)
        self.assertLess(t_play - t_report, 0.5, "the next item came %.3f s after the report" % (t_play - t_report))
        self.assertEqual(play.get("offset_ms"), 0, play)
        self.assertIs(play.get("scheduled"), True, play)
        # The stored state follows the play (written after it is sent: a moment later under load).
        deadline = time.time() + 3
        while self.now_playing(dev)["file"] != "red.png" and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.now_playing(dev)["file"], "red.png")
        # The old boundary (begin + 6) passes without a play; begin + 8 brings the clip on time.
        sleep_until(begin + 8 + TOLERANCE + 0.2)
        got = p.plays(m)
        self.assertEqual([x.get("file") for x, _ in got], ["red.png", "clip.mp4"],
                         [(x.get("file"), rfc3339(t)) for x, t in got])
        self.assertLessEqual(abs(got[1][1] - (begin + 8)), TOLERANCE, "the clip came %+.3f s from its boundary" %
                             (got[1][1] - (begin + 8)))

    # ------------------------------------------------------------------
    def test_3_override_message(self):
        files = ["red.png", "green.png"]
        dev = self.new_device(org="b")
        media = self.upload(dev, files, org="b")
        pl = self.playlist([(f, media[f]) for f in files], [2000, 2000], org="b")
        asg = self.assign(pl["id"], device_id=dev, org="b")
        exp = self.expected(pl, asg, files, [2.0, 2.0], org="b")
        exp.wait_mid()
        p = self.player(dev)
        p.wait_for("player/play")
        exp.wait_mid(margin=0.3)
        m = p.tmark()
        t_sent = time.time()
        o = self.assertStatus(self.call("POST", "/api/v1/overrides", {"message": "Fire drill"}, who=("b", "speaker")),
                              201).json()
        p.wait_for("player/message", start=m)
        got = p.timed_since(m, {"player/stop", "player/message", "player/play"})
        self.assertEqual([n for n, _, _ in got][:2], ["player/stop", "player/message"], got)
        self.assertEqual(got[1][1][0].get("text"), "Fire drill", got)
        self.assertEqual(got[1][1][0].get("override_id"), o["id"], got)
        self.assertLess(got[1][2] - t_sent, 1.0)
        self.assertEqual(self.timeline_now(dev, org="b")["source"], "override")
        np = self.now_playing(dev, org="b")
        self.assertEqual(np.get("state"), "stopped", np)
        # No play while it is on, across more than a cycle of the playlist.
        time.sleep(4.5)
        self.assertEqual([x for x in p.timed_since(m, {"player/play"})], [], "played through the override")
        # Cleared: the message goes, then the playlist's item of now.
        m = p.tmark()
        t_sent = time.time()
        self.assertStatus(self.call("DELETE", "/api/v1/overrides/" + o["id"], who=("b", "speaker")), 200)
        p.wait_for("player/play", start=m)
        got = p.timed_since(m, {"player/stop", "player/message", "player/play"})
        self.assertEqual([n for n, _, _ in got][:2], ["player/message", "player/play"], got)
        self.assertEqual(got[0][1][0], {"text": None}, got)
        self.assertLess(got[1][2] - t_sent, 1.0)
        self.assert_first_play((got[1][1][0], got[1][2]), exp, "after the override", t_sent)
        self.assertEqual(self.timeline_now(dev, org="b")["source"], "assignment")
        # And the boundaries go on.
        t0 = got[1][2]
        _, _, _, nxt = exp.at(time.time())
        sleep_until(nxt + 0.6)
        self.assert_boundaries(p.plays(m)[1:], exp, t0, nxt + 0.6, "after the override")

        # An override with an end: its end is a timeline boundary, kept on time without a request.
        exp.wait_mid(margin=0.3)
        m = p.tmark()
        short = {"message": "Short", "ends_at": rfc3339(time.time() + 2.5)}
        o = self.assertStatus(self.call("POST", "/api/v1/overrides", short,
                                        who=("b", "speaker")), 201).json()
        ends = epoch(o["ends_at"])
        p.wait_for("player/message", lambda a: a[0].get("text") == "Short", start=m)
        sleep_until(ends + 0.6)
        got = p.timed_since(m, {"player/stop", "player/message", "player/play"})
        self.assertEqual([n for n, _, _ in got], ["player/stop", "player/message", "player/message", "player/play"], got)
        self.assertEqual(got[2][1][0], {"text": None}, got)
        for n, a, t in got[2:]:
            self.assertAlmostEqual(t, ends, delta=TOLERANCE, msg="%s %r at %s, the override ended at %s" %
                                   (n, a, rfc3339(t), o["ends_at"]))
        # Which item follows is test_3b's question; here: one of the playlist's, flagged as scheduled.
        self.assertIn(got[3][1][0].get("file"), files, got)
        self.assertIs(got[3][1][0].get("scheduled"), True, got)

    def test_3b_position_after_a_timed_override_does_not_depend_on_the_plan_load(self):
        """An override that ends by itself (ends_at): the playlist continues where it would have been
        without the override, whether the plan was loaded while the override was on (the holder's) or
        after its end (any reload: a media or placeholder change, the 23 h horizon, a restart, a
        failover), which no longer sees it. Here a placeholder change after the end, which changes
        nothing on the timeline, must not make the engine jump to another item."""
        files = ["red.png", "green.png"]
        dev = self.new_device(org="b")
        media = self.upload(dev, files + ["manual.png"], org="b")
        pl = self.playlist([(f, media[f]) for f in files], [2000, 3000], org="b")
        asg = self.assign(pl["id"], device_id=dev, org="b")
        g = self.assertStatus(self.call("POST", "/api/v1/groups", {"name": unique("g"), "device_ids": [dev]},
                                        who=("b", "operator")), 201).json()
        exp = self.expected(pl, asg, files, [2.0, 3.0], org="b")
        p = self.player(dev)
        p.wait_for("player/play")
        # End it when the computed position (from updated_at) is 1 s into green.png, so a restart at
        # the end (red.png) and the computed item differ.
        _, f, begin, end = exp.at(time.time() + 2.5)
        ends = begin + 1.0 if f == "green.png" else end + 1.0
        self.assertStatus(self.call("POST", "/api/v1/overrides", {"message": "Short", "group_id": g["id"],
                                                                  "ends_at": rfc3339(ends)}, who=("b", "speaker")), 201)
        sleep_until(ends + 0.5)
        m = p.tmark()
        self.assertStatus(self.call("PUT", "/api/v1/devices/%s/placeholder" % dev, {"media_id": media["manual.png"]},
                                    who=("b", "operator")), 200)
        p.wait_for("placeholder/refresh", start=m)
        time.sleep(1.0)
        # Nothing on the timeline changed: no play (today: green.png at offset ~1.5 s after red.png at the end).
        self.assertEqual(p.plays(m), [], "the item changed on a plan reload")

    # ------------------------------------------------------------------
    def test_2b_boundary_hold_ends_with_a_schedule_change(self):
        """SCHEDULE_MANUAL_HOLD=boundary (the default): manual control holds the schedule; a change of
        the device's schedule is a boundary: the hold ends and the playlist restarts (its assignment's
        updated_at is the new start)."""
        files = ["red.png", "green.png", "blue.png"]
        dev = self.new_device()
        media = self.upload(dev, files + ["manual.png"])
        pl = self.playlist([(f, media[f]) for f in files], [2000, 2000, 2000])
        asg = self.assign(pl["id"], device_id=dev)
        exp = self.expected(pl, asg, files, [2.0, 2.0, 2.0])
        exp.wait_mid()
        p = self.player(dev)
        p.wait_for("player/play")
        m = p.tmark()
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/commands" % dev, {"action": "play", "file": "manual.png"},
                                    who=("a", "speaker")), 200)
        manual = p.wait_for("player/play", start=m)[0]
        self.assertEqual(manual.get("file"), "manual.png")
        self.assertFalse(manual.get("scheduled"), manual)
        time.sleep(2.6)  # past at least one item boundary
        self.assert_no_scheduled_play(p, m, "boundary hold")
        m = p.tmark()
        body = {"playlist_id": pl["id"], "device_id": dev, "priority": 1, "schedule": {"kind": "always"}}
        t_sent = time.time()
        asg = self.assertStatus(self.call("PUT", "/api/v1/assignments/" + asg["id"], body), 200).json()
        p.wait_for("player/play", start=m, timeout=3)
        play, t = p.plays(m)[0]
        self.assertLess(t - t_sent, 1.0)
        exp = self.expected(pl, asg, files, [2.0, 2.0, 2.0])
        self.assertAlmostEqual(exp.since, epoch(asg["updated_at"]), delta=0.001)
        self.assert_first_play((play, t), exp, "after the schedule change", t_sent)
        self.assertEqual(play["file"], "red.png", "the playlist restarts with its assignment's change")


class ManualHoldUntilResume(EngineCase):
    """Test 2 on a server with SCHEDULE_MANUAL_HOLD=resume and SCHEDULE_ITEM_SECONDS=2 (restarted by the last test)."""

    @classmethod
    def setUpClass(cls):
        cls.server = RestartableServer(env=dict(QUIET_ENV, SCHEDULE_MANUAL_HOLD="resume", SCHEDULE_ITEM_SECONDS="2",
                                                SHUTDOWN_TIMEOUT_MS="2000"))
        try:
            cls.w = World(cls.server, devices_per_org=1)
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def resume_and_check(self, p, dev, exp, label):
        m = p.tmark()
        t_sent = time.time()
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/schedule/resume" % dev, who=("a", "speaker")), 204)
        p.wait_for("player/play", start=m, timeout=3)
        play, t = p.plays(m)[0]
        self.assertLess(t - t_sent, 1.0, "%s: the schedule came back %.3f s after resume" % (label, t - t_sent))
        self.assert_first_play((play, t), exp, label, t_sent)
        return t

    def test_2_manual_hold_until_resume(self):
        files = ["red.png", "green.png"]
        dev = self.new_device()
        media = self.upload(dev, files + ["manual.png"])
        # The first item has no duration of its own: SCHEDULE_ITEM_SECONDS (2 s) applies.
        pl = self.playlist([(f, media[f]) for f in files], [None, 2000])
        asg = self.assign(pl["id"], device_id=dev)
        exp = self.expected(pl, asg, files, [2.0, 2.0])
        exp.wait_mid()
        p = self.player(dev)
        first = p.wait_for("player/play")[0]
        self.assertIs(first.get("scheduled"), True, first)
        # One boundary from the schedule, on time (the 2 s default of the first item included).
        t0 = p.plays()[0][1]
        _, _, _, nxt = exp.at(t0)
        sleep_until(nxt + 0.5)
        self.assert_boundaries(p.plays()[1:], exp, t0, nxt + 0.5, "before manual control")

        # Roles and tenancy of resume, before any hold.
        url = "/api/v1/devices/%s/schedule/resume" % dev
        self.assertStatus(self.call("POST", url, who=("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("POST", url, who=("b", "speaker")), 404, "not_found")
        self.assertStatus(self.call("POST", url, who=("b", "operator")), 404, "not_found")
        self.assertStatus(self.server.call("POST", url), 401)

        # A speaker's REST command: the schedule holds for more than a cycle (4 s).
        m = p.tmark()
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/commands" % dev, {"action": "play", "file": "manual.png"},
                                    who=("a", "speaker")), 200)
        manual = p.wait_for("player/play", start=m)[0]
        self.assertEqual(manual.get("file"), "manual.png")
        self.assertFalse(manual.get("scheduled"), manual)
        time.sleep(5.0)
        self.assert_no_scheduled_play(p, m, "REST hold")
        self.assertEqual(self.now_playing(dev).get("file"), "manual.png")
        # The viewer's and the other organisation's refusals do not end the hold.
        self.assertStatus(self.call("POST", url, who=("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("POST", url, who=("b", "speaker")), 404, "not_found")
        time.sleep(0.5)
        self.assert_no_scheduled_play(p, m, "REST hold after refused resumes")
        t = self.resume_and_check(p, dev, exp, "resume after REST")
        # The schedule goes on from there.
        _, _, _, nxt = exp.at(t)
        sleep_until(nxt + 0.5)
        self.assert_boundaries(p.plays(m)[2:], exp, t, nxt + 0.5, "after resume")

        # A Socket.IO control/play holds it the same way.
        c = self.control()
        m = p.tmark()
        ack = c.call("control/play", {"device_id": dev, "file": "manual.png"})
        self.assertIs(ack.get("ok"), True, ack)
        manual = p.wait_for("player/play", start=m)[0]
        self.assertEqual((manual.get("file"), manual.get("scheduled")), ("manual.png", None), manual)
        time.sleep(4.5)
        self.assert_no_scheduled_play(p, m, "Socket.IO hold")
        self.resume_and_check(p, dev, exp, "resume after Socket.IO")
        exp.wait_mid(margin=0.3, min_left=0.5)
        self.assert_stored_follows(dev, exp)

    def test_2c_resume_hold_survives_a_restart(self):
        """SCHEDULE_MANUAL_HOLD=resume promises that only "resume schedule" gives the device back to its
        schedule, also across a restart of the instance (or on an instance started after the command,
        after a failover): the stored state says it was set by hand (not scheduled), which the engine
        takes for a hold when it loads the device's plan."""
        files = ["red.png", "green.png"]
        dev = self.new_device()
        media = self.upload(dev, files + ["manual.png"])
        pl = self.playlist([(f, media[f]) for f in files], [2000, 2000])
        self.assign(pl["id"], device_id=dev)
        p = self.player(dev)
        p.wait_for("player/play")
        m = p.tmark()
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/commands" % dev, {"action": "play", "file": "manual.png"},
                                    who=("a", "speaker")), 200)
        p.wait_for("player/play", lambda a: a[0].get("file") == "manual.png", start=m)
        time.sleep(2.5)
        self.assert_no_scheduled_play(p, m, "hold before the restart")
        p.close()
        self.server.restart()  # SIGTERM, the same DATA_DIR and environment
        self.w.refresh_tokens()
        p = self.player(dev)
        self.assertEqual(next(x[1][0] for x in p.timed if x[0] == "player/state").get("file"), "manual.png")
        time.sleep(2.5)
        self.assert_no_scheduled_play(p, 0, "hold after the restart")
        self.assertEqual(self.now_playing(dev).get("file"), "manual.png")


# --------------------------------------------------------------------------
# 4: failover between two instances on one PostgreSQL database and Redis
# --------------------------------------------------------------------------

def _script(name, *args):
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", name)] + [str(a) for a in args], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return out.stdout.decode().strip()


class Failover(EngineCase):

    @classmethod
    def setUpClass(cls):
        pg = os.environ.get("VC_TEST_POSTGRES_URL")
        if not pg:
            raise unittest.SkipTest("failover needs a shared database: set VC_TEST_POSTGRES_URL (ctest runs it as "
                                    "schedule_engine_integration_on_postgresql)")
        if not shutil.which("redis-server"):
            raise unittest.SkipTest("failover needs redis-server (apt-get install redis-server; scripts/setup.sh does)")
        cls.servers = []
        cls.redis_dir = tempfile.mkdtemp(prefix="vc-se-redis-")
        cls.content_dir = tempfile.mkdtemp(prefix="vc-se-content-")
        cls.redis_started = False
        try:
            cls.redis_url = _script("redis_test_server.sh", "start", cls.redis_dir, free_port())
            cls.redis_started = True
            db = "vcse_%d_%s" % (os.getpid(), uuid.uuid4().hex[:8])
            subprocess.run(["psql", pg, "-qAtc", "CREATE DATABASE %s" % db], check=True, stdout=subprocess.DEVNULL,
                           timeout=60)
            cls.env = dict(QUIET_ENV, DATABASE_URL=pg.rsplit("/", 1)[0] + "/" + db, REDIS_URL=cls.redis_url,
                           CONTENT_DIR=cls.content_dir, JWT_SECRET=JWT_SECRET, DB_POOL_SIZE="8")
            cls.a = cls.start()  # the first one alone migrates the database
            cls.b = cls.start()
            cls.w = World(cls.a, devices_per_org=1)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        s = Server(env=cls.env)
        cls.servers.append(s)
        return s

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            try:
                s.cleanup()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                pass
        if cls.redis_started:
            _script("redis_test_server.sh", "stop", cls.redis_dir)
        shutil.rmtree(cls.redis_dir, ignore_errors=True)
        shutil.rmtree(cls.content_dir, ignore_errors=True)

    def kill(self, server):
        server.proc.kill()  # SIGKILL
        server.proc.wait(timeout=10)

    def test_4_failover_continues_at_the_computed_item(self):
        started = time.time()
        a, b = self.a, self.b
        files = ["red.png", "green.png", "blue.png"]
        dev = self.new_device(server=a)
        media = self.upload(dev, files, server=a)
        pl = self.playlist([(f, media[f]) for f in files], [2000, 3000, 2000], server=a)
        asg = self.assign(pl["id"], device_id=dev, server=a)
        exp = self.expected(pl, asg, files, [2.0, 3.0, 2.0], server=b)

        # On A: the item of now, then its boundaries.
        exp.wait_mid()
        t_reg = time.time()
        pa = self.player(dev, world=At(a))
        pa.wait_for("player/play")
        t_first = pa.plays()[0][1]
        self.assert_first_play(pa.plays()[0], exp, "A", t_reg)
        # Kill A 0.6 s before the second boundary from now (after a boundary of A's own).
        _, _, _, b1 = exp.at(t_first)
        _, _, _, b2 = exp.at(b1 + 0.001)
        kill_at = b2 - 0.6
        sleep_until(kill_at)
        self.kill(a)
        pa.wait_disconnected()
        self.assert_boundaries(pa.plays()[1:], exp, t_first, kill_at, "A before the kill")
        self.assertEqual(len(pa.plays()), 2, pa.plays())
        shown_before = pa.plays()[-1][0]["file"]

        # The boundary passes while the device has no instance; the player is pointed at B after it.
        sleep_until(b2 + 0.7)
        t_reg = time.time()
        pb = self.player(dev, world=At(b))
        state = next(x[1][0] for x in pb.timed if x[0] == "player/state")
        self.assertEqual(state.get("file"), shown_before, "B's player/state is A's last stored item: %r" % state)
        pb.wait_for("player/play", timeout=3)
        first_b = pb.plays()[0]
        self.assertLess(first_b[1] - t_reg, 1.0, "B sent the item of now %.3f s after the registration" %
                        (first_b[1] - t_reg))
        self.assert_first_play(first_b, exp, "B after the failover", t_reg)
        self.assertEqual(first_b[0]["file"], exp.at(b2 + 0.001)[1])
        # Then B's boundaries on time (two of them).
        _, _, _, c1 = exp.at(first_b[1])
        _, _, _, c2 = exp.at(c1 + 0.001)
        sleep_until(c2 + 0.6)
        self.assert_boundaries(pb.plays()[1:], exp, first_b[1], c2 + 0.6, "B")
        self.assert_stored_follows(dev, exp, server=b)

        # A comes back; B dies mid-item and the player goes to A at once: A finds the item stored as
        # playing since its boundary and does not send it again; the next boundary comes from A.
        a2 = self.start()
        exp.wait_mid(margin=0.3, min_left=1.5)
        self.kill(b)
        pb.wait_disconnected()
        t_kill = time.time()
        _, now_file, _, nxt = exp.at(t_kill)
        self.assertGreater(nxt - time.time(), 1.0)
        pc = self.player(dev, world=At(a2))
        state = next(x[1][0] for x in pc.timed if x[0] == "player/state")
        self.assertEqual((state.get("file"), state.get("state")), (now_file, "playing"), state)
        sleep_until(nxt + 0.6)
        plays_c = pc.plays()
        self.assertGreaterEqual(len(plays_c), 1, "no play from the new holder after the boundary")
        self.assertGreaterEqual(plays_c[0][1], nxt - TOLERANCE,
                                "A sent %r again before the boundary at %s" % (plays_c[0], rfc3339(nxt)))
        self.assert_boundaries(plays_c, exp, t_kill, nxt + 0.6, "A again")

        # Manual control through the other instance (B again) holds the schedule on the holder (A),
        # over Redis; resume through B brings the item of now back from A.
        b_again = self.start()
        exp.wait_mid(margin=0.3, min_left=1.0)
        m = pc.tmark()
        plays_c = pc.plays()  # the schedule's plays on A again, before manual control
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/commands" % dev, {"action": "play", "file": "red.png"},
                                    who=("a", "speaker"), server=b_again), 200)
        manual = pc.wait_for("player/play", start=m)[0]
        self.assertFalse(manual.get("scheduled"), manual)
        _, _, _, nxt = exp.at(time.time())
        sleep_until(nxt + 0.6)
        self.assert_no_scheduled_play(pc, m, "hold across instances")
        m = pc.tmark()
        t_sent = time.time()
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/schedule/resume" % dev, who=("a", "speaker"),
                                    server=b_again), 204)
        pc.wait_for("player/play", start=m, timeout=3)
        resumed = pc.plays(m)[0]
        self.assertLess(resumed[1] - t_sent, 1.0)
        self.assert_first_play(resumed, exp, "resumed through the other instance", t_sent)

        # No item boundary was played twice over the whole run (each play's begin = arrival - offset).
        begins = []
        for payload, t in pa.plays() + pb.plays() + plays_c:
            begin = t - payload["offset_ms"] / 1000.0
            _, f, want, _ = exp.at(begin + 0.5)  # the item that began nearest before
            self.assertEqual(payload["file"], f, payload)
            begins.append(round(want, 3))
        self.assertEqual(len(begins), len(set(begins)), "a boundary was played twice: %r" % sorted(begins))
        sys.stderr.write("\n  [schedule failover] %d plays on A, %d on B, %d on A again; test %.1f s\n" %
                         (len(pa.plays()), len(pb.plays()), len(plays_c), time.time() - started))


if __name__ == "__main__":
    api_support.run_main()
