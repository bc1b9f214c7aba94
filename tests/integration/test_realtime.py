#!/usr/bin/python3
"""Integration test of the realtime channel (issue 5) with a Socket.IO client nobody here wrote:
Debian's python3-socketio acts as the player and as control panels, against the real server binary.

Usage:
    /usr/bin/python3 tests/integration/test_realtime.py --binary PATH/videocontrol-server [unittest args]

Covers: the Engine.IO handshake (polling, WebSocket, upgrade), player registration and rejection,
every control event arriving at the player with PROTOCOL.md's payload, acks, online/offline
broadcasts, the now-playing state after a reconnect and after a server restart, isolation between
organisations, roles, players never seeing control-plane events, malformed packets closing only the
offending connection, liveness, device credentials, REST commands and the player HTTP routes.
Organisations, users, devices and media are created through the REST API.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, unique  # noqa: E402

import socketio  # noqa: E402  (python3-socketio)
import websocket  # noqa: E402  (python3-websocket, for raw frames)

WAIT = 5.0  # seconds to wait for an event that must come
QUIET = 0.6  # seconds to watch for an event that must not come

# Control-plane events: players must never see one.
CONTROL_PLANE = {"players/onlineSnapshot", "player/online", "player/offline", "devices/updated", "preview/refresh",
                 "file/processing", "file/progress", "file/ready", "file/error"}


# --------------------------------------------------------------------------
# media fixtures: the smallest bytes each kind is recognised by
# --------------------------------------------------------------------------

def filler(n, seed):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += uuid.uuid5(uuid.NAMESPACE_OID, "%s-%d" % (seed, i)).bytes
        i += 1
    return bytes(out[:n])


def fixtures(tag):
    """name → bytes; distinct per `tag` so organisations do not share blobs by accident."""
    return {
        "clip.mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + filler(70000, tag + "mp4"),
        "pic.png": b"\x89PNG\r\n\x1a\n" + filler(3000, tag + "png"),
        "deck.pdf": b"%PDF-1.4\n" + filler(2000, tag + "pdf"),
        "slides.pptx": b"PK\x03\x04" + filler(2000, tag + "pptx"),
        "album.zip": b"PK\x03\x04" + filler(2000, tag + "zip"),
    }


PLAYER_TYPE = {"clip.mp4": "video", "pic.png": "image", "deck.pdf": "pdf", "slides.pptx": "pptx", "album.zip": "folder"}
PAGE_EVENT = {"pdf": "player/pdfPage", "pptx": "player/pptxPage", "folder": "player/folderPage"}


def multipart(files):
    boundary = "----vc" + uuid.uuid4().hex
    body = bytearray()
    for name, data in files.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode()
        body += data + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return bytes(body), "multipart/form-data; boundary=" + boundary


# --------------------------------------------------------------------------
# a world on a server: organisations, users, devices with media — all through REST
# --------------------------------------------------------------------------

class World:
    def __init__(self, server, orgs=("a", "b"), devices_per_org=2):
        self.server = server
        s = server
        self.super_token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        self.orgs, self.users, self.devices, self.media = {}, {}, {}, {}
        for o in orgs:
            r = s.call("POST", "/api/v1/organizations", {"name": "RT " + o, "slug": unique("rt-" + o), "plan": "PRO"},
                       token=self.super_token)
            assert r.status == 201, repr(r)
            self.orgs[o] = r.json()
            self.users[o] = {}
            for role in ("viewer", "speaker", "operator"):
                username = unique("rt-%s-%s" % (o, role))
                r = s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD, "role": role,
                                                     "organization_id": self.orgs[o]["id"]}, token=self.super_token)
                assert r.status == 201, repr(r)
                self.users[o][role] = {"username": username, "token": s.token(username)["access_token"]}
            self.devices[o] = []
            for i in range(devices_per_org):
                device_id = unique("rt-%s%d" % (o, i))
                r = s.call("POST", "/api/v1/devices", {"device_id": device_id, "name": "Screen %s%d" % (o, i)},
                           token=self.tok(o, "operator"))
                assert r.status == 201, repr(r)
                self.devices[o].append(device_id)
            # The first device of each organisation offers one file of every kind.
            body, ctype = multipart(fixtures(self.orgs[o]["id"]))
            r = s.call("POST", "/api/v1/devices/%s/media" % self.devices[o][0], body, token=self.tok(o, "operator"),
                       headers={"Content-Type": ctype})
            assert r.status == 201, repr(r)
            self.media[o] = {item["name"]: item for item in r.json()["items"]}

    def tok(self, org, role):
        return self.users[org][role]["token"]

    def refresh_tokens(self):
        for o in self.users:
            for u in self.users[o].values():
                u["token"] = self.server.token(u["username"])["access_token"]

    def url(self):
        return "http://127.0.0.1:%d" % self.server.port


# --------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------

class Client:
    """A python-socketio client that records every event it receives."""

    def __init__(self, world, token=None, transports=None, reconnection=False):
        self.world = world
        self.events = []  # (name, args tuple)
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=0.5)
        self.disconnects = 0

        @self.sio.on("*")
        def any_event(name, *args):
            with self.cond:
                self.events.append((name, args))
                self.cond.notify_all()

        @self.sio.event
        def disconnect():
            with self.cond:
                self.disconnects += 1
                self.cond.notify_all()

        self._hooks()
        self.sio.connect(world.url(), auth={"token": token} if token else None, transports=transports,
                         wait_timeout=WAIT)

    def _hooks(self):
        pass

    def emit(self, name, data=None):
        self.sio.emit(name, data)

    def call(self, name, data=None):
        return self.sio.call(name, data, timeout=WAIT)

    def wait_for(self, name, pred=None, timeout=WAIT, start=0):
        """The args of the first event `name` (from index `start`) matching `pred`; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev, args in self.events[start:]:
                    if ev == name and (pred is None or pred(args)):
                        return args
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s within %.1f s; got %r" % (name, timeout, self.events[start:]))
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.events)

    def since(self, mark, names=None):
        with self.cond:
            return [(n, a) for n, a in self.events[mark:] if names is None or n in names]

    def wait_disconnected(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.disconnects == 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("still connected after %.1f s" % timeout)
                self.cond.wait(left)

    def close(self):
        # disconnect() does not stop a reconnection loop that is already running (python-socketio
        # 5.7), and that loop would keep the test process alive: stop it too.
        self.sio.reconnection = False
        abort = getattr(self.sio, "_reconnect_abort", None)
        if abort is not None:
            abort.set()
        try:
            self.sio.disconnect()
        except Exception:  # noqa: BLE001 - already gone
            pass


class Player(Client):
    """A player. With `auto_register` it registers on every (re)connection, as deployed players do."""

    def __init__(self, world, device_id, transports=None, register=True, extra=None, reconnection=False,
                 auto_register=False):
        self.device_id = device_id
        self.extra = extra
        self.auto_register = auto_register
        super().__init__(world, transports=transports, reconnection=reconnection)
        if register and not auto_register:
            self.register(extra)

    def _hooks(self):
        @self.sio.event
        def connect():
            if self.auto_register:
                self.emit("player/register", self.payload(self.extra))

    def payload(self, extra=None):
        payload = {"device_id": self.device_id, "device_type": "test", "platform": "python-socketio",
                   "capabilities": {"video": True, "audio": True, "images": True, "pdf": True, "pptx": True,
                                    "streaming": False}}
        payload.update(extra or {})
        return payload

    def register(self, extra=None):
        start = self.mark()
        self.emit("player/register", self.payload(extra))
        return self.wait_for("player/registered", start=start)[0]


class RawWebSocket:
    """A WebSocket that speaks Engine.IO by hand, to send what no library would."""

    def __init__(self, port, query="EIO=4&transport=websocket"):
        self.ws = websocket.create_connection("ws://127.0.0.1:%d/socket.io/?%s" % (port, query), timeout=WAIT)
        self.open = self.ws.recv()

    def send(self, text):
        self.ws.send(text)

    def recv(self):
        return self.ws.recv()

    def closed_by_server(self, timeout=WAIT):
        """True when the server closes the connection within `timeout` (pings are answered meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return False
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                return True
            if msg == "" or msg is None:
                return True
            if msg == "2":
                self.ws.send("3")
        return False

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        # After the server closed it, websocket-client's close() sends nothing and keeps the socket
        # open; the server would wait for the TCP close until its close-handshake timeout.
        try:
            self.ws.shutdown()
        except Exception:  # noqa: BLE001
            pass


def http_raw(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------
# the shared server
# --------------------------------------------------------------------------

class RealtimeTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000"})
        try:
            cls.w = World(cls.server)
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
        # The next test starts from a stopped device, whatever this one left playing.
        for o in ("a", "b"):
            self.server.call("POST", "/api/v1/devices/%s/commands" % self.w.devices[o][0], {"action": "stop"},
                             token=self.w.tok(o, "speaker"))

    def player(self, device_id, **kw):
        p = Player(self.w, device_id, **kw)
        self.clients.append(p)
        return p

    def control(self, org="a", role="speaker", **kw):
        c = Client(self.w, token=self.w.tok(org, role), **kw)
        self.clients.append(c)
        return c

    @property
    def dev(self):
        return self.w.devices["a"][0]

    # ---- handshake ---------------------------------------------------------------------------

    def test_polling_handshake_is_the_open_packet(self):
        status, headers, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling")
        self.assertEqual(status, 200, body)
        text = body.decode()
        self.assertTrue(text.startswith("0{"), text)
        doc = json.loads(text[1:])
        self.assertTrue(doc["sid"])
        self.assertEqual(doc["upgrades"], ["websocket"])
        self.assertEqual(doc["pingInterval"], 25000)
        self.assertEqual(doc["pingTimeout"], 20000)
        self.assertEqual(doc["maxPayload"], 1000000)
        # Then the Socket.IO CONNECT and its answer over polling.
        sid = doc["sid"]
        status, _, body = http_raw(self.server.port, "POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, b"40")
        self.assertEqual((status, body), (200, b"ok"))
        status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"40{\"sid\":"), body)

    def test_other_engineio_versions_get_a_json_400(self):
        for version in ("3", "5", ""):
            status, headers, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=%s&transport=polling" % version)
            self.assertEqual(status, 400, body)
            self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
            self.assertIn("message", json.loads(body))
        status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling&sid=nope")
        self.assertEqual(status, 400, body)

    def test_websocket_first_frame_is_the_open_packet(self):
        raw = RawWebSocket(self.server.port)
        try:
            self.assertTrue(raw.open.startswith("0{"), raw.open)
            doc = json.loads(raw.open[1:])
            self.assertEqual(doc["upgrades"], [])
            self.assertEqual((doc["pingInterval"], doc["pingTimeout"]), (25000, 20000))
            raw.send("40")
            self.assertTrue(raw.recv().startswith("40{\"sid\":"))
        finally:
            raw.close()

    def test_python_socketio_over_polling_upgrades_and_over_websocket_only(self):
        up = self.player(self.dev)
        ws = self.player(self.w.devices["a"][1], transports=["websocket"])
        deadline = time.monotonic() + WAIT
        while up.sio.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(up.sio.transport(), "websocket", "polling never upgraded")
        self.assertEqual(ws.sio.transport(), "websocket")
        # Both carry events in both directions after the upgrade.
        c = self.control()
        m = up.mark()
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "pic.png"})["ok"])
        self.assertEqual(up.wait_for("player/play", start=m)[0]["file"], "pic.png")
        for p in (up, ws):
            m = p.mark()
            p.emit("player/ping")
            p.wait_for("player/pong", start=m)

    def test_polling_only_client_works(self):
        p = self.player(self.dev, transports=["polling"])
        self.assertEqual(p.sio.transport(), "polling")
        c = self.control()
        m = p.mark()
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})["ok"])
        self.assertEqual(p.wait_for("player/play", start=m)[0],
                         {"type": "video", "file": "clip.mp4", "state": "playing"})

    # ---- registration ------------------------------------------------------------------------

    def test_register_sends_state_then_registered(self):
        p = self.player(self.dev, register=False)
        p.emit("player/register", {"device_id": self.dev, "deviceType": "android", "model": "X1",
                                   "manufacturer": "ACME", "capabilities": {"video": True}})
        reg = p.wait_for("player/registered")[0]
        self.assertEqual(reg["device_id"], self.dev)
        self.assertIsInstance(reg["timestamp"], int)
        self.assertIn("state", reg["current"])
        names = [n for n, _ in p.events]
        self.assertLess(names.index("player/state"), names.index("player/registered"), names)
        self.assertEqual(p.events[names.index("player/state")][1][0], reg["current"])
        # Registering again on the same socket answers again.
        m = p.mark()
        p.emit("player/register", {"device_id": self.dev})
        p.wait_for("player/state", start=m)
        p.wait_for("player/registered", start=m)
        # What the player reported is recorded on the device.
        r = self.assertStatus(self.server.call("GET", "/api/v1/devices/" + self.dev, token=self.w.tok("a", "viewer")), 200)
        self.assertEqual((r.json()["status"], r.json()["device_type"]), ("online", "android"))

    def test_unknown_device_is_rejected(self):
        p = self.player("no-such-" + uuid.uuid4().hex[:6], register=False)
        p.emit("player/register", {"device_id": p.device_id})
        reject = p.wait_for("player/reject")[0]
        self.assertTrue(reject["reason"])
        self.assertNotIn("player/registered", [n for n, _ in p.events])
        for bad in (None, "just-a-string", {"device_id": ""}, {"device_id": "../x"}):
            m = p.mark()
            p.emit("player/register", bad)
            p.wait_for("player/reject", start=m)
        # An unknown device never shows up as online to anyone.
        c = self.control()
        self.assertNotIn(p.device_id, c.wait_for("players/onlineSnapshot")[0])

    def test_player_ping_answers_pong(self):
        p = self.player(self.dev)
        m = p.mark()
        p.emit("player/ping")
        self.assertEqual(p.wait_for("player/pong", start=m), ())
        m = p.mark()
        p.emit("player/ping", {"anything": 1})  # old players send all sorts of payloads
        self.assertEqual(p.wait_for("player/pong", start=m), ())

    # ---- control events ----------------------------------------------------------------------

    def test_control_play_of_every_kind_reaches_the_player(self):
        p = self.player(self.dev)
        c = self.control()
        for name, ptype in PLAYER_TYPE.items():
            m = p.mark()
            ack = c.call("control/play", {"device_id": self.dev, "file": name})
            expected = {"type": ptype, "file": name, "state": "playing"}
            if ptype in ("pdf", "pptx", "folder"):
                expected["page"] = 1
            self.assertEqual(ack, {"ok": True, "state": expected}, name)
            self.assertEqual(p.wait_for("player/play", start=m), (expected,), name)
        # A page given with play is honoured for paged kinds.
        m = p.mark()
        ack = c.call("control/play", {"device_id": self.dev, "file": "deck.pdf", "page": 3})
        self.assertEqual(ack["state"]["page"], 3)
        self.assertEqual(p.wait_for("player/play", start=m)[0]["page"], 3)

    def test_pause_resume_restart_stop(self):
        p = self.player(self.dev)
        c = self.control()
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})["ok"])
        steps = [
            ("control/pause", {}, "player/pause", "paused"),
            ("control/play", {}, "player/resume", "playing"),  # play without a file resumes
            ("control/restart", {}, "player/restart", "playing"),
            ("control/stop", {}, "player/stop", "stopped"),
        ]
        for event, extra, player_event, state in steps:
            m = p.mark()
            ack = c.call(event, dict({"device_id": self.dev}, **extra))
            self.assertTrue(ack["ok"], (event, ack))
            self.assertEqual(ack["state"]["state"], state, event)
            self.assertEqual(p.wait_for(player_event, start=m), (), "%s carries no payload" % player_event)
        self.assertEqual(ack["state"], {"type": None, "file": None, "state": "stopped"})
        # Nothing loaded: pause, resume, restart and page moves are refused with a reason.
        m = p.mark()
        for event in ("control/pause", "control/play", "control/restart", "control/pdfNext"):
            ack = c.call(event, {"device_id": self.dev})
            self.assertFalse(ack["ok"], (event, ack))
            self.assertTrue(ack["error"])
            self.assertIn(ack["code"], ("invalid", "conflict"), (event, ack))  # panels word it by the code
        time.sleep(QUIET)
        self.assertEqual([n for n, _ in p.since(m) if n.startswith("player/") and n != "player/pong"], [])

    def test_page_navigation_sends_bare_integers_for_each_paged_kind(self):
        p = self.player(self.dev)
        c = self.control()
        for name in ("deck.pdf", "slides.pptx", "album.zip"):
            ptype = PLAYER_TYPE[name]
            self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": name})["ok"])
            m = p.mark()
            ack = c.call("control/pdfNext", {"device_id": self.dev})
            self.assertEqual(ack, {"ok": True, "state": {"type": ptype, "file": name, "state": "playing", "page": 2}})
            self.assertEqual(p.wait_for(PAGE_EVENT[ptype], start=m), (2,), name)
            m = p.mark()
            ack = c.call("control/pdfPrev", {"device_id": self.dev})
            self.assertEqual(ack["state"]["page"], 1)
            self.assertEqual(p.wait_for(PAGE_EVENT[ptype], start=m), (1,), name)
            # At the first page another "previous" keeps the page and sends nothing.
            m = p.mark()
            ack = c.call("control/pdfPrev", {"device_id": self.dev})
            self.assertEqual((ack["ok"], ack["state"]["page"]), (True, 1))
            time.sleep(QUIET)
            self.assertEqual(p.since(m, set(PAGE_EVENT.values())), [])
        # Page moves on a video are refused.
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})["ok"])
        self.assertFalse(c.call("control/pdfNext", {"device_id": self.dev})["ok"])

    def test_acks_report_errors(self):
        c = self.control()
        cases = [
            ("control/play", {"device_id": self.dev, "file": "missing.mp4"}),
            ("control/play", {"device_id": "no-such-device", "file": "clip.mp4"}),
            ("control/play", {"file": "clip.mp4"}),
            ("control/play", "not an object"),
            ("control/play", {"device_id": self.dev, "file": "deck.pdf", "page": 0}),
            ("control/nonsense", {"device_id": self.dev}),
        ]
        for event, payload in cases:
            ack = c.call(event, payload)
            self.assertIsInstance(ack, dict, (event, payload))
            self.assertIs(ack.get("ok"), False, (event, payload, ack))
            self.assertIsInstance(ack.get("error"), str, (event, payload, ack))
            self.assertTrue(ack["error"].strip())

    def test_unauthenticated_socket_cannot_control(self):
        p = self.player(self.dev)
        anon = Client(self.w)
        self.clients.append(anon)
        m = p.mark()
        ack = anon.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})
        self.assertFalse(ack["ok"])
        self.assertEqual(ack["code"], "unauthenticated")
        # A player cannot control either (not even its own device).
        ack = p.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})
        self.assertFalse(ack["ok"])
        time.sleep(QUIET)
        self.assertEqual(p.since(m, {"player/play"}), [])

    def test_bad_token_is_a_connect_error(self):
        with self.assertRaises(socketio.exceptions.ConnectionError):
            Client(self.w, token="garbage")

    def test_api_key_with_control_scope_controls(self):
        r = self.assertStatus(self.server.call("POST", "/api/v1/api-keys", {"name": "rt", "scopes": ["control"],
                                                                            "organization_id": self.w.orgs["a"]["id"]},
                                               token=self.w.super_token), 201)
        key = r.json()["key"]
        p = self.player(self.dev)
        c = Client(self.w, token=key)
        self.clients.append(c)
        m = p.mark()
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "pic.png"})["ok"])
        p.wait_for("player/play", start=m)

    def test_revocation_reaches_open_control_sockets(self):
        """A disabled user's socket is disconnected at once; after a logout the next command is refused
        (unauthenticated) and the socket disconnected; a revoked API key's socket is disconnected."""
        def fresh_user():
            username = unique("rt-revoke")
            r = self.server.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "speaker", "organization_id": self.w.orgs["a"]["id"]},
                                 token=self.w.super_token)
            self.assertEqual(r.status, 201, repr(r))
            return r.json()["id"], self.server.token(username)
        p = self.player(self.dev)
        disabled_id, disabled_tokens = fresh_user()
        signed_out_id, signed_out_tokens = fresh_user()
        key = self.assertStatus(self.server.call("POST", "/api/v1/api-keys", {"name": "rt-revoke", "scopes": ["control"],
                                                                              "organization_id": self.w.orgs["a"]["id"]},
                                                 token=self.w.super_token), 201).json()
        disabled = Client(self.w, token=disabled_tokens["access_token"])
        signed_out = Client(self.w, token=signed_out_tokens["access_token"])
        keyed = Client(self.w, token=key["key"])
        bystander = self.control("a", "speaker")
        self.clients += [disabled, signed_out, keyed]
        for c in (disabled, signed_out, keyed):
            self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "pic.png"})["ok"])

        self.assertStatus(self.server.call("PATCH", "/api/v1/users/%s" % disabled_id, {"active": False},
                                           token=self.w.super_token), 200)
        disabled.wait_disconnected(timeout=2)

        self.assertStatus(self.server.call("POST", "/api/v1/auth/logout", {"refresh_token": signed_out_tokens["refresh_token"]},
                                           token=signed_out_tokens["access_token"]), 204)
        answer = signed_out.call("control/stop", {"device_id": self.dev})
        self.assertEqual(answer["ok"], False)
        self.assertEqual(answer["code"], "unauthenticated", answer)
        signed_out.wait_disconnected(timeout=2)

        self.assertStatus(self.server.call("DELETE", "/api/v1/api-keys/%s" % key["id"], token=self.w.super_token), 204)
        keyed.wait_disconnected(timeout=2)

        # Nobody else was touched: the bystander still controls.
        m = p.mark()
        self.assertTrue(bystander.call("control/stop", {"device_id": self.dev})["ok"])
        p.wait_for("player/stop", start=m)
        self.assertEqual(bystander.disconnects, 0)

    # ---- presence ----------------------------------------------------------------------------

    def test_online_snapshot_and_online_offline_broadcasts(self):
        dev = self.w.devices["a"][1]
        c = self.control()
        snapshot = c.wait_for("players/onlineSnapshot")[0]
        self.assertIsInstance(snapshot, list)
        self.assertNotIn(dev, snapshot)
        m = c.mark()
        p1 = self.player(dev)
        self.assertEqual(c.wait_for("player/online", lambda a: a[0]["device_id"] == dev, start=m), ({"device_id": dev},))
        p2 = self.player(dev, transports=["websocket"])  # a second connection of the same device
        p1.close()
        time.sleep(QUIET)
        self.assertEqual([e for e in c.since(m, {"player/online", "player/offline"}) if e[1][0]["device_id"] == dev],
                         [("player/online", ({"device_id": dev},))], "one online, no offline while a connection lives")
        late = self.control()
        self.assertIn(dev, late.wait_for("players/onlineSnapshot")[0])
        p2.close()
        self.assertEqual(c.wait_for("player/offline", lambda a: a[0]["device_id"] == dev, start=m), ({"device_id": dev},))
        r = self.assertStatus(self.server.call("GET", "/api/v1/devices/" + dev, token=self.w.tok("a", "viewer")), 200)
        self.assertEqual(r.json()["status"], "offline")

    def test_viewer_control_socket_gets_broadcasts_but_cannot_control(self):
        v = self.control(role="viewer")
        v.wait_for("players/onlineSnapshot")
        m = v.mark()
        p = self.player(self.dev)
        v.wait_for("player/online", lambda a: a[0]["device_id"] == self.dev, start=m)
        pm = p.mark()
        for event, payload in (("control/play", {"device_id": self.dev, "file": "clip.mp4"}),
                               ("control/stop", {"device_id": self.dev}), ("control/pause", {"device_id": self.dev})):
            ack = v.call(event, payload)
            self.assertFalse(ack["ok"], (event, ack))
            self.assertIn("viewer", ack["error"])
        time.sleep(QUIET)
        self.assertEqual([n for n, _ in p.since(pm) if n != "player/pong"], [])

    # ---- isolation ---------------------------------------------------------------------------

    def test_organisations_are_isolated(self):
        a_dev, b_dev = self.dev, self.w.devices["b"][0]
        ca = self.control("a")
        cb = self.control("b", role="operator")
        self.assertNotIn(a_dev, cb.wait_for("players/onlineSnapshot")[0])
        ma, mb = ca.mark(), cb.mark()
        pa = self.player(a_dev)
        pb = self.player(b_dev)
        ca.wait_for("player/online", lambda a: a[0]["device_id"] == a_dev, start=ma)
        cb.wait_for("player/online", lambda a: a[0]["device_id"] == b_dev, start=mb)
        # B cannot control A's device: the same answer as for a device that does not exist.
        pam = pa.mark()
        ghost_id = "ghost-" + uuid.uuid4().hex[:6]
        ack = cb.call("control/play", {"device_id": a_dev, "file": "clip.mp4"})
        ghost = cb.call("control/play", {"device_id": ghost_id, "file": "clip.mp4"})
        self.assertFalse(ack["ok"])
        self.assertEqual(ack["error"].replace(a_dev, "<id>"), ghost["error"].replace(ghost_id, "<id>"))
        for event in ("control/stop", "control/pause", "control/pdfNext", "control/restart"):
            self.assertFalse(cb.call(event, {"device_id": a_dev})["ok"], event)
        # A's own commands and presence never reach B.
        self.assertTrue(ca.call("control/play", {"device_id": a_dev, "file": "pic.png"})["ok"])
        pa.wait_for("player/play", start=pam)
        pa.close()
        ca.wait_for("player/offline", lambda a: a[0]["device_id"] == a_dev, start=ma)
        time.sleep(QUIET)
        leaked = [(n, a) for n, a in cb.since(mb) if json.dumps(a).find(a_dev) >= 0]
        self.assertEqual(leaked, [], "B saw events of A's device")
        self.assertEqual([n for n, _ in pb.since(0) if n == "player/play"], [], "B's player got A's command")
        self.assertEqual(len(pa.since(pam, {"player/play"})), 1, "A's player got B's attempts or lost A's command")

    def test_players_never_receive_control_plane_events(self):
        p = self.player(self.dev)
        c = self.control()
        other = self.player(self.w.devices["a"][1])  # online broadcast
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})["ok"])  # preview/refresh
        r = self.server.call("PATCH", "/api/v1/devices/" + self.dev, {"name": "renamed"}, token=self.w.tok("a", "operator"))
        self.assertStatus(r, 200)  # devices/updated
        other.close()  # offline broadcast
        c.wait_for("player/offline", lambda a: a[0]["device_id"] == self.w.devices["a"][1])
        c.wait_for("preview/refresh")
        time.sleep(QUIET)
        seen = {n for n, _ in p.events} | {n for n, _ in other.events}
        self.assertEqual(seen & CONTROL_PLANE, set(), "a player received control-plane events")

    # ---- persisted state ---------------------------------------------------------------------

    def test_state_survives_a_player_reconnect(self):
        c = self.control()
        p = self.player(self.dev)
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "deck.pdf"})["ok"])
        self.assertTrue(c.call("control/pdfNext", {"device_id": self.dev})["ok"])
        self.assertTrue(c.call("control/pause", {"device_id": self.dev})["ok"])
        p.close()
        expected = {"type": "pdf", "file": "deck.pdf", "state": "paused", "page": 2}
        again = self.player(self.dev, transports=["websocket"])
        self.assertEqual(again.wait_for("player/state"), (expected,))
        self.assertEqual(again.wait_for("player/registered")[0]["current"], expected)
        # REST readers see the same truth.
        r = self.assertStatus(self.server.call("GET", "/api/v1/devices/" + self.dev, token=self.w.tok("a", "viewer")), 200)
        self.assertEqual({k: r.json()["now_playing"].get(k) for k in ("type", "file", "state", "page")}, expected)

    # ---- malformed input ---------------------------------------------------------------------

    def test_malformed_packets_close_only_the_offending_connection(self):
        p = self.player(self.dev)
        c = self.control()
        garbage = [
            "x",                      # not an Engine.IO packet type
            "4",                      # an empty Socket.IO packet
            "42[not json",            # broken JSON
            "42{\"a\":1}",            # an event that is not an array
            "4[1,2]",                 # no Socket.IO type
            "49",                     # unknown Socket.IO type
            "45-[\"e\",{\"_placeholder\":true,\"num\":0}]",  # binary attachments
            "42[\"player/register\"",  # truncated
        ]
        for g in garbage:
            raw = RawWebSocket(self.server.port)
            try:
                raw.send("40")
                self.assertTrue(raw.recv().startswith("40"))
                raw.send(g)
                self.assertTrue(raw.closed_by_server(), "server kept the connection after %r" % g)
            finally:
                raw.close()
        # An event before CONNECT is a protocol error too.
        raw = RawWebSocket(self.server.port)
        try:
            raw.send('42["player/register",{"device_id":"%s"}]' % self.dev)
            self.assertTrue(raw.closed_by_server())
        finally:
            raw.close()
        # A binary frame.
        raw = RawWebSocket(self.server.port)
        try:
            raw.ws.send_binary(b"\x04\x00\x01")
            self.assertTrue(raw.closed_by_server())
        finally:
            raw.close()
        # Long-polling: a POST body that is not a payload ends that session only.
        status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling")
        sid = json.loads(body[1:])["sid"]
        q = "/socket.io/?EIO=4&transport=polling&sid=" + sid
        status, _, body = http_raw(self.server.port, "POST", q, b"\x1e\x1e\xff\xfe garbage")
        self.assertEqual(status, 400, body)
        status, _, body = http_raw(self.server.port, "GET", q)
        self.assertEqual(status, 400, "the session should be gone: %r" % body)
        # The well-behaved clients never noticed.
        self.assertTrue(p.sio.connected and c.sio.connected)
        m = p.mark()
        self.assertTrue(c.call("control/play", {"device_id": self.dev, "file": "clip.mp4"})["ok"])
        p.wait_for("player/play", start=m)

    # ---- REST control ------------------------------------------------------------------------

    def test_rest_commands(self):
        p = self.player(self.dev)
        url = "/api/v1/devices/%s/commands" % self.dev
        m = p.mark()
        r = self.assertStatus(self.server.call("POST", url, {"action": "play", "file": "deck.pdf"},
                                               token=self.w.tok("a", "speaker")), 200)
        self.assertEqual(r.json()["state"], {"type": "pdf", "file": "deck.pdf", "state": "playing", "page": 1})
        self.assertEqual(p.wait_for("player/play", start=m)[0]["file"], "deck.pdf")
        for action, event, payload, page in (("next", "player/pdfPage", (2,), 2), ("prev", "player/pdfPage", (1,), 1)):
            m = p.mark()
            r = self.assertStatus(self.server.call("POST", url, {"action": action}, token=self.w.tok("a", "speaker")), 200)
            self.assertEqual(r.json()["state"]["page"], page)
            self.assertEqual(p.wait_for(event, start=m), payload)
        m = p.mark()
        r = self.assertStatus(self.server.call("POST", url, {"action": "page", "page": 5}, token=self.w.tok("a", "speaker")), 200)
        self.assertEqual(p.wait_for("player/pdfPage", start=m), (5,))
        for action, event, state in (("pause", "player/pause", "paused"), ("resume", "player/resume", "playing"),
                                     ("restart", "player/restart", "playing"), ("stop", "player/stop", "stopped")):
            m = p.mark()
            r = self.assertStatus(self.server.call("POST", url, {"action": action}, token=self.w.tok("a", "operator")), 200)
            self.assertEqual(r.json()["state"]["state"], state)
            p.wait_for(event, start=m)
        # The rules of the channel: roles, tenancy, validation.
        self.assertStatus(self.server.call("POST", url, {"action": "stop"}), 401, "unauthenticated")
        self.assertStatus(self.server.call("POST", url, {"action": "stop"}, token=self.w.tok("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.server.call("POST", url, {"action": "stop"}, token=self.w.tok("b", "speaker")), 404, "not_found")
        self.assertStatus(self.server.call("POST", url, {"action": "dance"}, token=self.w.tok("a", "speaker")), 400, "invalid")
        self.assertStatus(self.server.call("POST", url, {}, token=self.w.tok("a", "speaker")), 400, "invalid")
        self.assertStatus(self.server.call("POST", url, {"action": "play", "file": "nope.mp4"},
                                           token=self.w.tok("a", "speaker")), 404, "not_found")
        self.assertStatus(self.server.call("POST", url, {"action": "page", "page": 0}, token=self.w.tok("a", "speaker")),
                          400, "invalid")
        self.assertStatus(self.server.call("POST", url, "not json", token=self.w.tok("a", "speaker")), 400, "invalid")

    def command_histogram(self):
        """videocontrol_realtime_command_seconds from /metrics: ({le: cumulative count}, sum, count)."""
        body = self.assertStatus(self.server.call("GET", "/metrics"), 200).body.decode()
        buckets, total, count = {}, None, None
        for line in body.splitlines():
            if line.startswith("videocontrol_realtime_command_seconds_bucket{le=\""):
                le = line.split('"')[1]
                buckets[le] = int(line.rsplit(" ", 1)[1])
            elif line.startswith("videocontrol_realtime_command_seconds_sum "):
                total = float(line.split()[1])
            elif line.startswith("videocontrol_realtime_command_seconds_count "):
                count = int(line.split()[1])
        self.assertIn("# TYPE videocontrol_realtime_command_seconds histogram", body)
        return buckets, total, count

    def test_command_latency_histogram_in_metrics(self):
        p = self.player(self.dev)
        c = self.control("a", "speaker")
        before, sum_before, count_before = self.command_histogram()
        for name, args in (("control/play", {"file": "clip.mp4"}), ("control/pause", {}), ("control/stop", {})):
            m = p.mark()
            self.assertTrue(c.call(name, dict(args, device_id=self.dev))["ok"])
            p.wait_for("player/" + name.split("/")[1], start=m)
        self.assertFalse(c.call("control/play", {"device_id": self.dev, "file": "missing.mp4"})["ok"])  # not carried out
        self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/commands" % self.dev, {"action": "play", "file": "pic.png"},
                                           token=self.w.tok("a", "speaker")), 200)
        after, sum_after, count_after = self.command_histogram()
        self.assertEqual(count_after - count_before, 4, "three socket commands and one REST command were carried out")
        self.assertGreater(sum_after, sum_before)
        bounds = [le for le in after if le != "+Inf"]
        self.assertEqual(bounds, sorted(bounds, key=float), "buckets in increasing order")
        counts = [after[le] for le in bounds] + [after["+Inf"]]
        self.assertEqual(counts, sorted(counts), "cumulative")
        self.assertEqual(after["+Inf"], count_after)
        self.assertEqual(after["+Inf"] - before["+Inf"], 4)

    # ---- player HTTP routes ------------------------------------------------------------------

    def test_resolver_serves_bytes_with_ranges(self):
        data = fixtures(self.w.orgs["a"]["id"])["clip.mp4"]
        for base in ("/api/files/resolve/%s/clip.mp4", "/content/%s/clip.mp4"):
            path = base % self.dev
            r = self.server.call("GET", path + "?t=12345")
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.body, data)
            self.assertEqual(r.headers["content-type"], "video/mp4")
            self.assertEqual(r.headers["accept-ranges"], "bytes")
            self.assertTrue(r.headers.get("etag", "").startswith('"'))
            r = self.server.call("GET", path, headers={"Range": "bytes=100-199"})
            self.assertEqual(r.status, 206, repr(r))
            self.assertEqual(r.body, data[100:200])
            self.assertEqual(r.headers["content-range"], "bytes 100-199/%d" % len(data))
            r = self.server.call("GET", path, headers={"Range": "bytes=-10"})
            self.assertEqual((r.status, r.body), (206, data[-10:]))
            r = self.server.call("GET", path, headers={"Range": "bytes=%d-" % (len(data) + 5)})
            self.assertStatus(r, 416)
            r = self.server.call("HEAD", path)
            self.assertEqual((r.status, r.body), (200, b""))
            self.assertEqual(int(r.headers["content-length"]), len(data))
            etag = self.server.call("GET", path).headers["etag"]
            self.assertEqual(self.server.call("GET", path, headers={"If-None-Match": etag}).status, 304)
        r = self.server.call("GET", "/api/files/resolve/%s/pic.png" % self.dev)
        self.assertEqual((r.status, r.headers["content-type"]), (200, "image/png"))
        self.assertStatus(self.server.call("GET", "/api/files/resolve/%s/nope.mp4" % self.dev), 404, "not_found")
        self.assertStatus(self.server.call("GET", "/content/no-such-device/clip.mp4"), 404, "not_found")
        # Another organisation's device does not offer A's file.
        self.assertStatus(self.server.call("GET", "/api/files/resolve/%s/clip.mp4" % self.w.devices["a"][1]), 404)

    def test_placeholder_route_and_refresh_event(self):
        dev = self.w.devices["a"][1]
        op = self.w.tok("a", "operator")
        r = self.assertStatus(self.server.call("GET", "/api/devices/%s/placeholder" % dev), 200)
        self.assertEqual(r.json(), {"placeholder": None})
        p = self.player(dev)
        m = p.mark()
        media_id = self.w.media["a"]["pic.png"]["id"]
        self.assertStatus(self.server.call("PUT", "/api/v1/devices/%s/placeholder" % dev, {"media_id": media_id},
                                           token=op), 200)
        self.assertEqual(p.wait_for("placeholder/refresh", start=m), ())
        r = self.assertStatus(self.server.call("GET", "/api/devices/%s/placeholder" % dev), 200)
        self.assertEqual(r.json(), {"placeholder": "pic.png"})
        # The placeholder is served by name through the resolver even though this device does not
        # offer the file itself.
        r = self.server.call("GET", "/api/files/resolve/%s/pic.png?t=1" % dev)
        self.assertEqual((r.status, r.body), (200, fixtures(self.w.orgs["a"]["id"])["pic.png"]))
        self.assertStatus(self.server.call("DELETE", "/api/v1/devices/%s/placeholder" % dev, token=op), 200)
        self.assertEqual(self.server.call("GET", "/api/devices/%s/placeholder" % dev).json(), {"placeholder": None})
        self.assertStatus(self.server.call("GET", "/api/devices/no-such-device/placeholder"), 404, "not_found")

    def test_page_and_folder_images_of_unconverted_files_are_clean_404s_saying_why(self):
        # These fixtures are not real documents: the content pipeline is still at them or refused them.
        for path in ("/api/devices/%s/converted/deck.pdf/page/1", "/api/devices/%s/converted/slides.pptx/slide/2",
                     "/api/devices/%s/folder/album.zip/image/1"):
            r = self.assertStatus(self.server.call("GET", path % self.dev), 404, "not_found")
            self.assertRegex(r.json()["error"]["message"], "being processed|could not be processed")
        self.assertStatus(self.server.call("GET", "/api/devices/%s/converted/nope.pdf/page/1" % self.dev), 404)
        self.assertStatus(self.server.call("GET", "/api/devices/%s/converted/deck.pdf/page/0" % self.dev), 404)
        self.assertStatus(self.server.call("GET", "/api/devices/%s/converted/deck.pdf/other/1" % self.dev), 404)

    def test_player_file_list(self):
        r = self.assertStatus(self.server.call("GET", "/api/devices/%s/files" % self.dev), 200)
        doc = r.json()
        self.assertEqual(doc["device_id"], self.dev)
        got = {f["name"]: (f["type"], f["page_count"]) for f in doc["items"]}
        self.assertEqual(got, {name: (ptype, None) for name, ptype in PLAYER_TYPE.items()})
        self.assertStatus(self.server.call("GET", "/api/devices/no-such-device/files"), 404, "not_found")

    def test_kiosk_page_is_served(self):
        # The browser player (web/src/player): at /player and at the original's address, a page
        # under the strict CSP whose script is a content-hashed asset; its service worker at a fixed path.
        for path in ("/player?device=" + self.dev, "/player-videojs.html?device_id=" + self.dev + "&autoplay=1"):
            r = self.server.call("GET", path)
            self.assertEqual(r.status, 200, path)
            self.assertTrue(r.headers["content-type"].startswith("text/html"))
            self.assertIn("script-src 'self'", r.headers["content-security-policy"])
            page = r.body.decode()
            self.assertRegex(page, r'<script type="module" src="/assets/player-[A-Z0-9]+\.js">')
            self.assertNotIn("<script>", page, "no inline script under the CSP")
        r = self.server.call("GET", "/player-sw.js")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/javascript"))
        self.assertEqual(r.headers["cache-control"], "no-cache")
        self.assertIn("vc-player-shell-", r.body.decode())


# --------------------------------------------------------------------------
# servers of their own: restart, liveness, device credentials
# --------------------------------------------------------------------------

class RestartableServer(Server):
    """A Server whose process can be stopped and started again on the same DATA_DIR and port."""

    def restart(self):
        # The same environment as the first start (Server does not keep it; the process does).
        with open("/proc/%d/environ" % self.proc.pid, "rb") as f:
            env = dict(item.decode().split("=", 1) for item in f.read().split(b"\0") if b"=" in item)
        args = self.proc.args
        self.proc.terminate()
        self.proc.wait(timeout=api_support.EXIT_TIMEOUT)
        self.proc = subprocess.Popen(args, cwd=self.data_dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()


class OwnServerTest(ApiTestCase):
    def setUp(self):
        self.clients = []
        self.server = None

    def tearDown(self):
        for c in self.clients:
            c.close()
        if self.server:
            self.server.cleanup()

    def test_state_survives_a_server_restart(self):
        # A short shutdown deadline: connected players may not finish the WebSocket close handshake.
        self.server = RestartableServer(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                             "SHUTDOWN_TIMEOUT_MS": "2000"})
        w = World(self.server, orgs=("a",), devices_per_org=1)
        dev = w.devices["a"][0]
        # A player that reconnects and registers by itself, as deployed players do.
        p = Player(w, dev, reconnection=True, auto_register=True)
        self.clients.append(p)
        p.wait_for("player/registered")
        c = Client(w, token=w.tok("a", "speaker"))
        self.clients.append(c)
        self.assertTrue(c.call("control/play", {"device_id": dev, "file": "slides.pptx"})["ok"])
        self.assertTrue(c.call("control/pdfNext", {"device_id": dev})["ok"])
        self.assertTrue(c.call("control/pdfNext", {"device_id": dev})["ok"])
        c.close()
        m = p.mark()
        self.server.restart()
        expected = {"type": "pptx", "file": "slides.pptx", "state": "playing", "page": 3}
        self.assertEqual(p.wait_for("player/state", start=m, timeout=30), (expected,))
        self.assertEqual(p.wait_for("player/registered", start=m)[0]["current"], expected)
        # A fresh player sees the same.
        fresh = Player(w, dev, transports=["websocket"])
        self.clients.append(fresh)
        self.assertEqual(fresh.wait_for("player/state"), (expected,))
        # Sign-ins survive too, and control picks up where it was.
        w.refresh_tokens()
        c2 = Client(w, token=w.tok("a", "speaker"))
        self.clients.append(c2)
        self.assertIn(dev, c2.wait_for("players/onlineSnapshot")[0])
        m = p.mark()
        self.assertEqual(c2.call("control/pdfPrev", {"device_id": dev})["state"]["page"], 2)
        self.assertEqual(p.wait_for("player/pptxPage", start=m), (2,))

    def test_silent_player_is_dropped_after_the_player_timeout(self):
        # PLAYER_TIMEOUT_MS (30 s by default, as 2.x) shortened to 4 s; the sweep runs every 5 s.
        self.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                  "PLAYER_TIMEOUT_MS": "4000"})
        w = World(self.server, orgs=("a",), devices_per_org=2)
        quiet_dev, chatty_dev = w.devices["a"]
        c = Client(w, token=w.tok("a", "speaker"))
        self.clients.append(c)
        # A raw player that answers Engine.IO pings but never sends player/ping.
        raw = RawWebSocket(self.server.port)
        raw.send("40")
        raw.recv()
        raw.send('42["player/register",{"device_id":"%s"}]' % quiet_dev)
        chatty = Player(w, chatty_dev)
        self.clients.append(chatty)
        c.wait_for("player/online", lambda a: a[0]["device_id"] == quiet_dev)
        t0 = time.monotonic()
        stop = threading.Event()

        def keep_pinging():
            while not stop.wait(1):
                try:
                    chatty.emit("player/ping")
                except Exception:  # noqa: BLE001
                    return

        t = threading.Thread(target=keep_pinging, daemon=True)
        t.start()
        try:
            c.wait_for("player/offline", lambda a: a[0]["device_id"] == quiet_dev, timeout=15)
            elapsed = time.monotonic() - t0
            self.assertGreaterEqual(elapsed, 3.5, "dropped too early")
            self.assertTrue(raw.closed_by_server(timeout=5), "the silent player's connection stays open")
            self.assertEqual([e for e in c.events if e[0] == "player/offline" and e[1][0]["device_id"] == chatty_dev], [],
                             "a player that pings was dropped")
        finally:
            stop.set()
            raw.close()

    def test_server_pings_and_closes_connections_whose_pong_never_comes(self):
        # Short intervals (PING_INTERVAL_MS / PING_TIMEOUT_MS) so the Engine.IO heartbeat is seen in seconds.
        self.server = Server(env={"PING_INTERVAL_MS": "400", "PING_TIMEOUT_MS": "600"})
        answering = RawWebSocket(self.server.port)
        silent = RawWebSocket(self.server.port)
        opened = json.loads(silent.open[1:])
        self.assertEqual((opened["pingInterval"], opened["pingTimeout"]), (400, 600))
        # Polling sessions are pinged too: the held poll is answered with the ping.
        status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling")
        self.assertEqual(status, 200)
        sid = json.loads(body.decode()[1:])["sid"]
        status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
        self.assertEqual((status, body), (200, b"2"))
        try:
            silent.ws.settimeout(WAIT)
            self.assertEqual(silent.recv(), "2")  # the first ping, after ~0.4 s; never answered
            t_ping = time.monotonic()
            pings = 0
            deadline = time.monotonic() + 3.0  # several intervals: the answering one gets pinged again and again
            while time.monotonic() < deadline:
                answering.ws.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    msg = answering.recv()
                except websocket.WebSocketTimeoutException:
                    break
                if msg == "2":
                    pings += 1
                    answering.send("3")
            self.assertGreaterEqual(pings, 4, "a connection that answers is pinged every interval")
            self.assertFalse(answering.closed_by_server(timeout=1.0), "a connection that answers pings was closed")
            # The silent one was closed once its pong was overdue (0.6 s after the ping; the check runs
            # on a 250 ms tick), well within the 4 s the answering one stayed open.
            self.assertGreater(time.monotonic() - t_ping, 3.0)
            self.assertTrue(silent.closed_by_server(timeout=0.5), "a connection that never answers stays open")
            # The polling session without pongs is gone as well.
            status, _, body = http_raw(self.server.port, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
            self.assertEqual(status, 400, body)
            self.assertEqual(json.loads(body)["message"], "Session ID unknown")
        finally:
            answering.close()
            silent.close()

    def test_device_credentials_required(self):
        self.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                  "DEVICE_CREDENTIALS": "required"})
        w = World(self.server, orgs=("a",), devices_per_org=1)
        dev = w.devices["a"][0]
        r = self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/credential" % dev,
                                               token=w.tok("a", "operator")), 201)
        secret = r.json()["credential"]
        # The channel: no token or a wrong one is rejected, the right one registers.
        for extra in ({}, {"token": "vcd_wrong"}):
            p = Player(w, dev, register=False)
            self.clients.append(p)
            p.emit("player/register", dict({"device_id": dev}, **extra))
            p.wait_for("player/reject")
        p = Player(w, dev, extra={"token": secret})
        self.clients.append(p)
        # The HTTP routes: 401 without or with a wrong credential, 200 with it (query or header).
        for path in ("/api/devices/%s/placeholder" % dev, "/api/files/resolve/%s/pic.png" % dev,
                     "/content/%s/pic.png" % dev, "/api/devices/%s/files" % dev):
            self.assertStatus(self.server.call("GET", path), 401, "unauthenticated", path)
            self.assertStatus(self.server.call("GET", path + "?token=vcd_wrong"), 401, "unauthenticated", path)
            self.assertEqual(self.server.call("GET", path + "?token=" + secret).status, 200, path)
            self.assertEqual(self.server.call("GET", path, headers={"X-Device-Token": secret}).status, 200, path)
        # Checking a credential over HTTP does not make an offline device look online.
        p.close()
        time.sleep(QUIET)
        self.server.call("GET", "/api/devices/%s/files?token=%s" % (dev, secret))
        r = self.assertStatus(self.server.call("GET", "/api/v1/devices/" + dev, token=w.tok("a", "viewer")), 200)
        self.assertEqual(r.json()["status"], "offline")
        # A rotated credential stops working at once.
        self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/credential" % dev, token=w.tok("a", "operator")), 201)
        self.assertStatus(self.server.call("GET", "/api/devices/%s/files?token=%s" % (dev, secret)), 401)


if __name__ == "__main__":
    api_support.run_main()
