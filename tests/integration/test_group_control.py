#!/usr/bin/python3
"""Integration test of control and placeholders aimed at a device group (issue 13) against the real
server binary, with Debian's python3-socketio as three players and as the control panels.

A group's control command (Socket.IO control/* with group_id, and POST /api/v1/groups/{id}/control)
reaches every member's player with one result per device; a member without the file is the only
one refused; another organisation's group is not found; roles and bad input are refused clearly.
A group's placeholder (PUT/DELETE /api/v1/groups/{id}/placeholder) reaches every member the same way.
Runs on SQLite and, with VC_TEST_POSTGRES_URL, on PostgreSQL.

Usage: /usr/bin/python3 tests/integration/test_group_control.py --binary PATH/videocontrol-server
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ApiTestCase, Server, unique  # noqa: E402
# The realtime suite's world (organisations, users, devices with media, through REST) and its
# python-socketio players and panels.
from test_realtime import QUIET, Client, Player, World  # noqa: E402


class GroupControlTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                 "PROCESSING_WORKERS": "0"})
        try:
            # Three devices per organisation; the first offers a file of every kind.
            cls.w = World(cls.server, devices_per_org=3)
            a = cls.w.devices["a"]
            cls.members = list(a)
            cls.with_file, cls.without_file = a[:2], a[2]
            pic = cls.w.media["a"]["pic.png"]
            # pic.png also on the second device (the same media, linked); the third has none.
            r = cls.server.call("POST", "/api/v1/media/%s/devices" % pic["id"], {"device_id": a[1]},
                                token=cls.w.tok("a", "operator"))
            assert r.status in (200, 201), repr(r)
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        for d in self.with_file:  # the next test starts from stopped devices
            self.server.call("POST", "/api/v1/devices/%s/commands" % d, {"action": "stop"}, token=self.w.tok("a", "speaker"))

    def call(self, method, path, body=None, who=("a", "speaker")):
        return self.server.call(method, path, body, token=self.w.tok(*who))

    def group(self, devices, org="a"):
        r = self.call("POST", "/api/v1/groups", {"name": unique("floor"), "device_ids": devices}, who=(org, "operator"))
        return self.assertStatus(r, 201).json()["id"]

    def players(self):
        ps = [Player(self.w, d) for d in self.members]
        self.clients.extend(ps)
        return ps

    def control(self, org="a", role="speaker"):
        c = Client(self.w, token=self.w.tok(org, role))
        self.clients.append(c)
        return c

    def by_device(self, results):
        self.assertEqual(sorted(r["device_id"] for r in results), sorted(self.members), results)
        return {r["device_id"]: r for r in results}

    def assert_nothing(self, player, mark, event):
        time.sleep(QUIET)
        self.assertEqual(player.since(mark, {event}), [], "%s got %s" % (player.device_id, event))

    # ------------------------------------------------------------------
    def test_socket_group_play_reaches_every_member_with_an_ack_per_device(self):
        g = self.group(self.members)
        ps = self.players()
        c = self.control()
        marks = [p.mark() for p in ps]
        ack = c.call("control/play", {"group_id": g, "file": "pic.png"})
        self.assertIs(ack["ok"], True, ack)
        self.assertEqual(ack["group_id"], g)
        results = self.by_device(ack["results"])
        expected = {"type": "image", "file": "pic.png", "state": "playing"}
        for d in self.with_file:
            self.assertEqual(results[d], {"device_id": d, "ok": True, "state": expected})
        # The member without the file is the only one refused, and says why.
        bad = results[self.without_file]
        self.assertIs(bad["ok"], False)
        self.assertEqual(bad["code"], "not_found")
        self.assertIn("pic.png", bad["error"])
        for p, m in zip(ps, marks):
            if p.device_id in self.with_file:
                self.assertEqual(p.wait_for("player/play", start=m), (expected,), p.device_id)
        self.assert_nothing(ps[2], marks[2], "player/play")

        # The next command goes the same way: pause where something plays, refused where nothing does.
        marks = [p.mark() for p in ps]
        results = self.by_device(c.call("control/pause", {"group_id": g})["results"])
        for p, m in zip(ps[:2], marks):
            self.assertEqual(results[p.device_id]["state"]["state"], "paused")
            p.wait_for("player/pause", start=m)
        self.assertIs(results[self.without_file]["ok"], False)
        # Every member's state is stored: a device's own REST state says so.
        r = self.assertStatus(self.call("GET", "/api/v1/devices/%s" % self.with_file[0], who=("a", "viewer")), 200)
        self.assertEqual(r.json()["now_playing"]["state"], "paused")

    def test_socket_group_refusals(self):
        g = self.group(self.members)
        ps = self.players()
        marks = [p.mark() for p in ps]
        c = self.control()
        # device_id and group_id together, neither of them, an unknown group.
        ack = c.call("control/play", {"group_id": g, "device_id": self.members[0], "file": "pic.png"})
        self.assertEqual((ack["ok"], ack["code"]), (False, "invalid"), ack)
        self.assertIn("not both", ack["error"])
        ack = c.call("control/play", {"file": "pic.png"})
        self.assertEqual((ack["ok"], ack["code"]), (False, "invalid"), ack)
        ack = c.call("control/play", {"group_id": "no-such-group", "file": "pic.png"})
        self.assertEqual((ack["ok"], ack["code"]), (False, "not_found"), ack)
        # Another organisation: the answer for an unknown group, whatever its role.
        for role in ("speaker", "operator"):
            ack = self.control("b", role).call("control/play", {"group_id": g, "file": "pic.png"})
            self.assertEqual((ack["ok"], ack["code"]), (False, "not_found"), ack)
            self.assertEqual(ack["error"].replace(g, "<id>"), "group '<id>' not found")
        # Viewers do not control.
        ack = self.control(role="viewer").call("control/play", {"group_id": g, "file": "pic.png"})
        self.assertEqual((ack["ok"], ack["code"]), (False, "forbidden"), ack)
        for p, m in zip(ps, marks):
            self.assert_nothing(p, m, "player/play")
        # An empty group: nothing to do, and that is not an error.
        empty = self.group([])
        self.assertEqual(c.call("control/stop", {"group_id": empty}), {"ok": True, "group_id": empty, "results": []})

    def test_rest_group_control(self):
        g = self.group(self.members)
        ps = self.players()
        marks = [p.mark() for p in ps]
        url = "/api/v1/groups/%s/control" % g
        r = self.assertStatus(self.call("POST", url, {"action": "play", "file": "pic.png"}), 200)
        doc = r.json()
        self.assertEqual(set(doc), {"group_id", "results"})
        results = self.by_device(doc["results"])
        for p, m in zip(ps, marks):
            if p.device_id in self.with_file:
                self.assertIs(results[p.device_id]["ok"], True)
                self.assertEqual(p.wait_for("player/play", start=m)[0]["file"], "pic.png")
        self.assertEqual(results[self.without_file]["code"], "not_found")
        self.assert_nothing(ps[2], marks[2], "player/play")
        # Roles, tenancy and the body's rules, as on the single-device route.
        self.assertStatus(self.server.call("POST", url, {"action": "stop"}), 401, "unauthenticated")
        self.assertStatus(self.call("POST", url, {"action": "stop"}, who=("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("POST", url, {"action": "stop"}, who=("b", "speaker")), 404, "not_found")
        self.assertStatus(self.call("POST", url, {"action": "stop"}, who=("b", "operator")), 404, "not_found")
        self.assertStatus(self.call("POST", "/api/v1/groups/no-such-group/control", {"action": "stop"}), 404, "not_found")
        self.assertStatus(self.call("POST", url, {"action": "dance"}), 400, "invalid")
        self.assertStatus(self.call("POST", url, {"action": "page"}), 400, "invalid")
        self.assertStatus(self.call("POST", url, "not json"), 400, "invalid")
        empty = self.group([])
        r = self.assertStatus(self.call("POST", "/api/v1/groups/%s/control" % empty, {"action": "stop"}), 200)
        self.assertEqual(r.json(), {"group_id": empty, "results": []})

    def test_group_placeholder(self):
        g = self.group(self.members)
        ps = self.players()
        op = ("a", "operator")
        pic = self.w.media["a"]["pic.png"]["id"]
        url = "/api/v1/groups/%s/placeholder" % g
        marks = [p.mark() for p in ps]
        r = self.assertStatus(self.call("PUT", url, {"media_id": pic}, who=op), 200)
        for d, res in self.by_device(r.json()["results"]).items():
            self.assertEqual(res, {"device_id": d, "ok": True, "placeholder_media_id": pic})
        for p, m in zip(ps, marks):
            self.assertEqual(p.wait_for("placeholder/refresh", start=m), (), p.device_id)
            # Every member's player finds it, also the one that does not offer the file itself.
            r = self.assertStatus(self.server.call("GET", "/api/devices/%s/placeholder" % p.device_id), 200)
            self.assertEqual(r.json(), {"placeholder": "pic.png"})
        # A media item that cannot be a placeholder is refused before any member changes.
        deck = self.w.media["a"]["deck.pdf"]["id"]
        self.assertStatus(self.call("PUT", url, {"media_id": deck}, who=op), 400, "invalid")
        self.assertStatus(self.call("PUT", url, {"media_id": self.w.media["b"]["pic.png"]["id"]}, who=op), 404, "not_found")
        self.assertStatus(self.call("PUT", url, {}, who=op), 400, "invalid")
        # Roles and tenancy.
        self.assertStatus(self.call("PUT", url, {"media_id": pic}, who=("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", url, who=("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("PUT", url, {"media_id": self.w.media["b"]["pic.png"]["id"]}, who=("b", "operator")),
                          404, "not_found")
        self.assertStatus(self.call("DELETE", url, who=("b", "operator")), 404, "not_found")
        for d in self.members:
            r = self.assertStatus(self.server.call("GET", "/api/devices/%s/placeholder" % d), 200)
            self.assertEqual(r.json(), {"placeholder": "pic.png"}, d)
        # Cleared on every member.
        marks = [p.mark() for p in ps]
        r = self.assertStatus(self.call("DELETE", url, who=op), 200)
        for d, res in self.by_device(r.json()["results"]).items():
            self.assertEqual(res, {"device_id": d, "ok": True, "placeholder_media_id": None})
        for p, m in zip(ps, marks):
            p.wait_for("placeholder/refresh", start=m)
            r = self.assertStatus(self.server.call("GET", "/api/devices/%s/placeholder" % p.device_id), 200)
            self.assertEqual(r.json(), {"placeholder": None})


if __name__ == "__main__":
    api_support.run_main()
