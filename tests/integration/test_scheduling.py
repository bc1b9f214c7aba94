#!/usr/bin/python3
"""Integration test of scheduling over REST (issue 13) against the real server binary.

Groups, playlists, assignments with schedules, a device's default playlist and time zone, the device
and group timelines with their causes in the organisation's zone (Europe/Berlin), emergency overrides,
the schedule preview, media in use by playlists, roles and tenancy. The image is made by FFmpeg.
Runs on SQLite and, with VC_TEST_POSTGRES_URL, on PostgreSQL.

Usage: /usr/bin/python3 tests/integration/test_scheduling.py --binary PATH/videocontrol-server
"""

import os
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, unique  # noqa: E402

QUIET_ENV = {"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000", "PROCESSING_WORKERS": "0"}

# Monday 2026-12-07 in Berlin (UTC+1): local midnight is 23:00Z the day before.
DAY_FROM = "2026-12-06T23:00:00Z"
DAY_TO = "2026-12-07T23:00:00Z"


def png_by_ffmpeg():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "slide.png")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180", "-frames:v", "1", path],
                       check=True, timeout=60)
        with open(path, "rb") as f:
            return f.read()


def multipart(name, data):
    boundary = "vcsched" + uuid.uuid4().hex
    body = ('--%s\r\nContent-Disposition: form-data; name="files"; filename="%s"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, body


class SchedulingApi(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=QUIET_ENV)
        try:
            cls._populate()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def _populate(cls):
        s = cls.server
        sup = s.token("admin", ADMIN_PASSWORD)["access_token"]
        cls.tokens = {}
        for key, zone in (("a", "Europe/Berlin"), ("b", "UTC")):
            r = s.call("POST", "/api/v1/organizations",
                       {"name": "Sched " + key, "slug": unique("sched-" + key), "plan": "PRO", "timezone": zone}, token=sup)
            assert r.status == 201, repr(r)
            org = r.json()["id"]
            for role in ("admin", "speaker", "viewer"):
                username = unique("%s-%s" % (key, role))
                r = s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD, "role": role,
                                                     "organization_id": org}, token=sup)
                assert r.status == 201, repr(r)
                cls.tokens[(key, role)] = s.token(username)["access_token"]
        admin = cls.tokens[("a", "admin")]
        for d in ("lobby", "hall"):
            device_id = unique(d)
            r = s.call("POST", "/api/v1/devices", {"device_id": device_id}, token=admin)
            assert r.status == 201, repr(r)
            setattr(cls, d, device_id)
        ctype, body = multipart("slide.png", png_by_ffmpeg())
        r = s.call("POST", "/api/v1/devices/%s/media" % cls.lobby, body, token=admin, headers={"Content-Type": ctype})
        assert r.status == 201, repr(r)

    def call(self, method, path, body=None, who=("a", "admin"), **kw):
        return self.server.call(method, path, body, token=self.tokens[who], **kw)

    def media(self):
        r = self.assertStatus(self.call("GET", "/api/v1/devices/%s/media" % self.lobby), 200)
        return r.json()["items"][0]["id"]

    def playlist(self, name, items=None):
        items = items if items is not None else [{"media_id": self.media(), "duration_ms": 10000}]
        return self.assertStatus(self.call("POST", "/api/v1/playlists", {"name": name, "items": items}), 201).json()

    # ------------------------------------------------------------------
    def test_groups(self):
        name = unique("floor")
        g = self.assertStatus(self.call("POST", "/api/v1/groups", {"name": name, "device_ids": [self.lobby, self.hall]}), 201).json()
        self.assertEqual(g["device_ids"], sorted([self.lobby, self.hall]))
        self.assertStatus(self.call("POST", "/api/v1/groups", {"name": name}), 409, "conflict")
        g = self.assertStatus(self.call("PATCH", "/api/v1/groups/" + g["id"], {"name": name + "-x", "device_ids": [self.hall]}), 200).json()
        self.assertEqual((g["name"], g["device_ids"]), (name + "-x", [self.hall]))
        # All or nothing: an unknown device fails the whole change, and a create leaves no group.
        self.assertStatus(self.call("PATCH", "/api/v1/groups/" + g["id"], {"name": "renamed", "device_ids": ["nope"]}), 404, "not_found")
        self.assertEqual(self.call("GET", "/api/v1/groups/" + g["id"]).json()["name"], name + "-x")
        other = unique("other")
        self.assertStatus(self.call("POST", "/api/v1/groups", {"name": other, "device_ids": [self.lobby, "nope"]}), 404, "not_found")
        self.assertStatus(self.call("POST", "/api/v1/groups", {"name": other}), 201)
        ids = [x["id"] for x in self.assertStatus(self.call("GET", "/api/v1/groups", who=("a", "viewer")), 200).json()["items"]]
        self.assertIn(g["id"], ids)
        self.assertStatus(self.call("POST", "/api/v1/groups", {"name": "v"}, who=("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("GET", "/api/v1/groups/" + g["id"], who=("b", "admin")), 404, "not_found")
        self.assertStatus(self.call("DELETE", "/api/v1/groups/" + g["id"]), 204)
        self.assertStatus(self.call("GET", "/api/v1/groups/" + g["id"]), 404)

    def test_playlists_and_media_in_use(self):
        m = self.media()
        p = self.playlist(unique("morning"))
        self.assertEqual(p["items"], [{"media_id": m, "duration_ms": 10000}])
        self.assertStatus(self.call("POST", "/api/v1/playlists", {"name": "x", "items": [{"media_id": m, "duration_ms": 10}]}), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/playlists", {"name": "x", "items": [{"media_id": "nope"}]}), 404, "not_found")
        self.assertStatus(self.call("POST", "/api/v1/playlists", {"name": "x", "colour": 1}), 400, "invalid")
        # Reorder = PUT the items in the new order; the second has no duration (the media's own).
        put = {"name": p["name"], "shuffle": True, "transition": "fade",
               "items": [{"media_id": m}, {"media_id": m, "duration_ms": 5000}]}
        q = self.assertStatus(self.call("PUT", "/api/v1/playlists/" + p["id"], put), 200).json()
        self.assertEqual([i["duration_ms"] for i in q["items"]], [None, 5000])
        self.assertTrue(q["shuffle"])
        copy = self.assertStatus(self.call("POST", "/api/v1/playlists/%s/duplicate" % p["id"]), 201).json()
        self.assertEqual(copy["name"], p["name"] + " (copy)")
        self.assertStatus(self.call("GET", "/api/v1/playlists/" + p["id"], who=("b", "admin")), 404)

    def test_timeline_overrides_and_preview(self):
        office = self.playlist(unique("office"))
        lunch = self.playlist(unique("lunch"))
        idle = self.playlist(unique("idle"))
        g = self.assertStatus(self.call("POST", "/api/v1/groups", {"name": unique("canteen"), "device_ids": [self.lobby]}), 201).json()
        weekdays = {"kind": "weekly", "ranges": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}]}
        a1 = self.assertStatus(self.call("POST", "/api/v1/assignments", {"playlist_id": office["id"], "device_id": self.lobby,
                                                                          "priority": 1, "schedule": weekdays}), 201).json()
        self.assertEqual(a1["description"], "Mon–Fri 08:00–18:00")
        a2 = self.assertStatus(self.call("POST", "/api/v1/assignments", {"playlist_id": lunch["id"], "group_id": g["id"], "priority": 5,
                                                                          "schedule": {"kind": "daily", "ranges": [{"start": "12:00", "end": "13:00"}]}}), 201).json()
        bad = self.assertStatus(self.call("POST", "/api/v1/assignments", {"playlist_id": lunch["id"], "device_id": self.lobby,
                                                                           "schedule": {"kind": "cron", "cron": "0 25 * * *"}}), 400, "invalid")
        self.assertIn("hour", bad.json()["error"]["message"])
        self.assertStatus(self.call("PUT", "/api/v1/devices/%s/schedule" % self.lobby, {"default_playlist_id": idle["id"]}), 200)
        self.assertStatus(self.call("PUT", "/api/v1/devices/%s/schedule" % self.lobby, {"timezone": "Mars/Base"}), 400, "invalid")
        listed = self.assertStatus(self.call("GET", "/api/v1/assignments", query={"device_id": self.lobby}), 200).json()["items"]
        self.assertIn(a1["id"], [x["id"] for x in listed])

        t = self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % self.lobby, who=("a", "viewer"),
                                        query={"from": DAY_FROM, "to": DAY_TO}), 200).json()
        self.assertEqual(t["timezone"], "Europe/Berlin")
        got = [(e["source"], e["local_from"][11:16], e["local_to"][11:16], e["playlist_id"]) for e in t["entries"]]
        self.assertEqual(got, [("default_playlist", "00:00", "08:00", idle["id"]), ("assignment", "08:00", "12:00", office["id"]),
                               ("assignment", "12:00", "13:00", lunch["id"]), ("assignment", "13:00", "18:00", office["id"]),
                               ("default_playlist", "18:00", "00:00", idle["id"])])
        self.assertEqual((t["entries"][2]["assignment_id"], t["entries"][2]["group_id"], t["entries"][2]["priority"]),
                         (a2["id"], g["id"], 5))
        self.assertEqual(t["entries"][1]["from"], "2026-12-07T07:00:00.000Z")
        gt = self.assertStatus(self.call("GET", "/api/v1/groups/%s/timeline" % g["id"], query={"from": DAY_FROM, "to": DAY_TO}), 200).json()
        self.assertEqual([x["device_id"] for x in gt["items"]], [self.lobby])
        self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % self.lobby, query={"from": DAY_FROM, "to": "2027-02-01T00:00:00Z"}), 400)
        self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % self.lobby, who=("b", "admin")), 404)

        # An emergency override for the group: a speaker starts and clears it; it tops the timeline now.
        self.assertStatus(self.call("POST", "/api/v1/overrides", {"message": "x"}, who=("a", "viewer")), 403)
        o = self.assertStatus(self.call("POST", "/api/v1/overrides", {"message": "Fire drill", "group_id": g["id"]},
                                        who=("a", "speaker")), 201).json()
        now = self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % self.lobby), 200).json()
        self.assertEqual(now["entries"][-1]["source"], "override")
        self.assertEqual(now["entries"][-1]["message"], "Fire drill")
        hall = self.assertStatus(self.call("GET", "/api/v1/devices/%s/timeline" % self.hall), 200).json()
        self.assertNotIn("override", [e["source"] for e in hall["entries"]])
        self.assertIn(o["id"], [x["id"] for x in self.call("GET", "/api/v1/overrides").json()["items"]])
        cleared = self.assertStatus(self.call("DELETE", "/api/v1/overrides/" + o["id"], who=("a", "speaker")), 200).json()
        self.assertIsNotNone(cleared["cleared_at"])
        self.assertStatus(self.call("DELETE", "/api/v1/overrides/" + o["id"], who=("a", "speaker")), 409, "conflict")
        self.assertNotIn(o["id"], [x["id"] for x in self.call("GET", "/api/v1/overrides").json()["items"]])

        # The schedule editor's preview: cron 30 2 * * * in Berlin runs at 02:30 local each day.
        pv = self.assertStatus(self.call("POST", "/api/v1/schedules/preview",
                                         {"schedule": {"kind": "cron", "cron": "30 2 * * *", "duration_minutes": 15},
                                          "timezone": "Europe/Berlin", "count": 3}, who=("a", "viewer")), 200).json()
        self.assertEqual(pv["description"], "cron 30 2 * * * for 15 min")
        self.assertEqual(len(pv["next"]), 3)
        for n in pv["next"]:
            self.assertRegex(n["local_from"], r"T02:30:00\+0[12]:00$")
        self.assertStatus(self.call("POST", "/api/v1/schedules/preview", {"schedule": {"kind": "weekly"}}), 400, "invalid")

        # The playlist in use: deleting its media names it; force removes it from every playlist.
        r = self.assertStatus(self.call("DELETE", "/api/v1/media/" + self.media()), 409, "conflict")
        self.assertIn(office["name"], r.json()["error"]["message"])
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + self.media(), query={"force": "maybe"}), 400)
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + self.media(), query={"force": "true"}), 204)
        self.assertEqual(self.call("GET", "/api/v1/playlists/" + office["id"]).json()["items"], [])
        # Deleting a playlist takes its assignments with it and clears the default.
        self.assertStatus(self.call("DELETE", "/api/v1/playlists/" + idle["id"]), 204)
        st = self.assertStatus(self.call("GET", "/api/v1/devices/%s/schedule" % self.lobby), 200).json()
        self.assertIsNone(st["default_playlist_id"])
        # null clears: no default playlist, the organisation's zone.
        st = self.assertStatus(self.call("PUT", "/api/v1/devices/%s/schedule" % self.lobby,
                                         {"default_playlist_id": None, "timezone": "Asia/Kathmandu"}), 200).json()
        self.assertEqual(st["timezone"], "Asia/Kathmandu")
        st = self.assertStatus(self.call("PUT", "/api/v1/devices/%s/schedule" % self.lobby, {"timezone": None}), 200).json()
        self.assertIsNone(st["timezone"])
        self.assertStatus(self.call("DELETE", "/api/v1/playlists/" + lunch["id"]), 204)
        left = self.call("GET", "/api/v1/assignments", query={"group_id": g["id"]}).json()["items"]
        self.assertEqual(left, [])


if __name__ == "__main__":
    api_support.run_main()
