#!/usr/bin/python3
"""Integration test of the network layer's defences (issue 16), against the real server binary on
127.0.0.1: bounded realtime queues (a client that never reads is dropped and counted), request
framing (Transfer-Encoding, Host), security headers, realtime connections that never CONNECT or
never identify, the per-address connection cap, and running out of file descriptors.

Usage:
    /usr/bin/python3 tests/integration/test_hardening_net.py --binary PATH/videocontrol-server [unittest args]

Raw sockets speak HTTP and WebSocket by hand, to send what no library would. Only the Python 3
standard library (and api_support).
"""

import base64
import json
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import unicodedata
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, ApiTestCase, Server, stop_process, unique  # noqa: E402
from test_media import vm_kib  # noqa: E402

WAIT = 5.0


# --------------------------------------------------------------------------
# raw HTTP and WebSocket
# --------------------------------------------------------------------------

def connect(port, timeout=WAIT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(sock, timeout=WAIT):
    """Everything the server sends until it closes (or `timeout` passes with nothing new)."""
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return out, False
        except ConnectionResetError:
            return out, True
        if not chunk:
            return out, True
        out += chunk


def statuses(raw):
    return re.findall(rb"^HTTP/1\.[01] (\d{3})", raw, re.M)


def ws_frame(text):
    """One masked client text frame."""
    data = text.encode() if isinstance(text, str) else text
    head = bytes([0x81])
    n = len(data)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def ws_frame_fast(data, mask=b"\x00\x00\x00\x00"):
    """A masked frame with an all-zero mask (valid, and needs no per-byte work): for floods."""
    n = len(data)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    else:
        head = bytes([0x81, 0x80 | 126]) + struct.pack("!H", n)
    return head + mask + data


class RawWs:
    """An Engine.IO WebSocket opened by hand; reads frames only when asked."""

    def __init__(self, port, query="EIO=4&transport=websocket"):
        self.sock = connect(port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /socket.io/?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           % (query, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("no upgrade answer")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise AssertionError("upgrade refused: %r" % head)
        self.open = self.recv()

    def send(self, text):
        self.sock.sendall(ws_frame(text))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def recv(self):
        """The next text frame's text; raises ConnectionError when the server closed."""
        self._need(2)
        op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        at = 2
        if n == 126:
            self._need(4)
            n, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(at + n)
        data, self.buf = self.buf[at:at + n], self.buf[at + n:]
        if op == 8:
            raise ConnectionError("close frame")
        return data.decode()

    def closed_by_server(self, timeout):
        """True when the server closes within `timeout` (answering its pings meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = self.recv()
            except socket.timeout:
                return False
            except (ConnectionError, OSError):
                return True
            if msg == "2":
                self.send("3")
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def metric(server, family, labels):
    body = server.call("GET", "/metrics").body.decode()
    want = "%s{%s}" % (family, ",".join('%s="%s"' % kv for kv in labels.items()))
    for line in body.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    raise AssertionError("%s not in /metrics" % want)


# --------------------------------------------------------------------------
# item 1: bounded realtime queues
# --------------------------------------------------------------------------

class QueueBoundTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"REALTIME_MAX_QUEUED_BYTES": "65536", "LOG_LEVEL": "warn"})

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_websocket_client_that_never_reads_is_dropped_and_counted(self):
        ws = RawWs(self.server.port)
        rss_before = vm_kib(self.server.proc.pid, "VmRSS")
        # Pings with the largest payload that is echoed, as fast as possible, never reading: the
        # kernel's buffers fill (a few MiB on loopback), then the server's queue, then it gives up.
        frame = ws_frame_fast(b"2" + b"x" * 128)
        batch = frame * 2000  # ~270 KB
        sent = 0
        dropped = False
        ws.sock.settimeout(5)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                ws.sock.sendall(batch)
                sent += len(batch)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                dropped = True
                break
        rss_after = vm_kib(self.server.proc.pid, "VmRSS")
        ws.close()
        print("\n  non-reading client: sent %.1f MB of pings; server RSS %d -> %d KiB (%+.1f MB)"
              % (sent / 1e6, rss_before, rss_after, (rss_after - rss_before) / 1024.0), file=sys.stderr)
        self.assertTrue(dropped, "the server kept a client that never reads (sent %d bytes)%s"
                        % (sent, self.server.describe()))
        self.assertLess(rss_after - rss_before, 64 * 1024, "RSS grew by more than 64 MiB")
        self.assertGreaterEqual(metric(self.server, "videocontrol_connections_dropped_total", {"reason": "slow_consumer"}), 1)

    def test_ping_payload_is_echoed_up_to_128_bytes_and_a_longer_one_closes(self):
        ws = RawWs(self.server.port)
        try:
            ws.send("2" + "p" * 128)
            self.assertEqual(ws.recv(), "3" + "p" * 128)
            ws.send("2" + "p" * 100_000)
            self.assertTrue(ws.closed_by_server(WAIT), "a 100 kB ping payload was accepted")
        finally:
            ws.close()

    def test_polling_client_that_never_polls_is_dropped(self):
        s = self.server
        r = s.call("GET", "/socket.io/?EIO=4&transport=polling")
        self.assertEqual(r.status, 200)
        sid = json.loads(r.body.decode()[1:])["sid"]
        # ~130 KB of pongs owed in one POST: twice the bound.
        body = "\x1e".join(["2" + "x" * 128] * 1000)
        conn = s.connection()
        conn.request("POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, body=body,
                     headers={"Content-Type": "text/plain"})
        conn.getresponse().read()
        conn.close()
        r = s.call("GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid)
        # The session is gone: the poll does not get the queued pongs.
        self.assertFalse(b"3xxxx" in r.body, "the %d bytes of pongs waited for the poll" % len(r.body))
        self.assertEqual(r.status, 400, r.body[:200])
        self.assertIn(b"Session ID unknown", r.body)
        self.assertGreaterEqual(metric(s, "videocontrol_connections_dropped_total", {"reason": "slow_consumer"}), 1)


# --------------------------------------------------------------------------
# items 2 and 3: framing and headers
# --------------------------------------------------------------------------

class ProtocolAndHeadersTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def exchange(self, raw):
        s = connect(self.server.port)
        try:
            s.sendall(raw)
            return read_all(s)
        finally:
            s.close()

    def test_transfer_encoding_not_ending_in_chunked_is_400_and_never_a_second_request(self):
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        for te in (b"Transfer-Encoding: gzip\r\n", b"Transfer-Encoding: chunked, identity\r\n",
                   b"Transfer-Encoding: gzip\r\nContent-Length: %d\r\n" % len(smuggled),
                   b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"):
            with self.subTest(te=te):
                raw, closed = self.exchange(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n" + te + b"\r\n" + smuggled)
                self.assertEqual(statuses(raw), [b"400"], raw)
                self.assertTrue(closed, "the connection stayed open")
        # Chunked (last) is still fine: the body is read and the route answers (401: bad password).
        body = b'{"username":"admin","password":"wrong"}'
        raw, _ = self.exchange(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                               % (len(body), body))
        self.assertEqual(statuses(raw), [b"401"], raw)

    def test_host_is_required_in_http_1_1_only(self):
        raw, closed = self.exchange(b"GET /healthz HTTP/1.1\r\n\r\n")
        self.assertEqual(statuses(raw), [b"400"], raw)
        self.assertTrue(closed)
        raw, _ = self.exchange(b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual(statuses(raw), [b"200"], raw)

    def test_security_headers(self):
        s = self.server
        r = s.call("GET", "/healthz")
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")
        self.assertEqual(r.headers.get("x-frame-options"), "DENY")
        self.assertEqual(r.headers.get("server"), "videocontrol")  # no version unless asked
        # 404s and Engine.IO answers too.
        self.assertEqual(s.call("GET", "/nowhere").headers.get("x-content-type-options"), "nosniff")
        # The pages: a strict CSP that forbids framing.
        page = s.call("GET", "/signin")
        self.assertEqual(page.status, 200)
        csp = page.headers.get("content-security-policy", "")
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(page.headers.get("x-frame-options"), "DENY")
        # Tokens and authenticated JSON are never stored by a cache.
        login = s.call("POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        self.assertEqual(login.status, 200)
        self.assertEqual(login.headers.get("cache-control"), "no-store")
        token = login.json()["access_token"]
        me = s.call("GET", "/api/v1/devices", token=token)
        self.assertEqual(me.status, 200)
        self.assertEqual(me.headers.get("cache-control"), "no-store")


class ReadinessTest(ApiTestCase):
    """Item 6: /readyz says whether a write commits, with a generic reason (the log has the detail);
    a database file removed or replaced under the server is noticed; a restart does not set up a new
    installation over a database that held one; SIGBUS ends the process with a clear message."""

    def wait_status(self, server, status, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            r = server.call("GET", "/readyz")
            if r.status == status or time.monotonic() > deadline:
                return r
            time.sleep(0.2)

    def log_of(self, server):
        with open(server.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_a_database_removed_or_replaced_is_not_ready_and_a_restart_does_not_set_up_over_it(self):
        if os.environ.get("VC_TEST_POSTGRES_URL"):
            self.skipTest("about the SQLite file")
        s = Server()
        self.addCleanup(s.cleanup)
        self.assertEqual(s.call("GET", "/readyz").status, 200)
        db = os.path.join(s.data_dir, "videocontrol.db")
        self.assertTrue(os.path.exists(db + ".installed"), os.listdir(s.data_dir))
        # Replaced: a copy moved over it is another file at the same path.
        shutil.copyfile(db, db + ".copy")
        os.replace(db + ".copy", db)
        r = self.wait_status(s, 503)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["checks"]["database"], "unavailable: does not take writes (the server log says why)")
        self.assertNotIn(b"videocontrol.db", r.body)
        self.assertIn("was replaced while the server runs", self.log_of(s))
        # Removed (with its log files).
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        time.sleep(1.1)  # past the probe's one-second memory
        self.assertEqual(s.call("GET", "/readyz").status, 503)
        self.assertIn("is gone", self.log_of(s))
        # A restart finds the marker beside a database without users: it stops and says why,
        # rather than creating a new admin over what was lost.
        stop_process(s.proc)
        again = subprocess.run([api_support.BINARY], cwd=s.data_dir, env=s.env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60)
        self.assertNotEqual(again.returncode, 0, again)
        err = again.stderr.decode() + again.stdout.decode()
        self.assertIn("removed or replaced", err)
        self.assertIn("videocontrol.db.installed", err)
        self.assertNotIn("first run", err)

    def test_sigbus_ends_the_process_with_a_clear_message(self):
        s = Server()
        self.addCleanup(s.cleanup)
        os.kill(s.proc.pid, signal.SIGBUS)
        self.assertEqual(s.proc.wait(timeout=10), 70)
        self.assertIn("SIGBUS: a memory-mapped file could not be read or written", self.log_of(s))


class TextTest(ApiTestCase):
    """Item 8: invalid UTF-8 is refused where it enters; file names are NFC without bidi controls,
    and a player finds a file by the name it was given, in either Unicode spelling."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def upload(self, token, device, disposition, data=b"\x89PNG\r\n\x1a\n" + b"p" * 100):
        boundary = "vc-text-boundary"
        body = (("--%s\r\nContent-Disposition: form-data; name=\"files\"; " % boundary).encode() + disposition +
                b"\r\nContent-Type: image/png\r\n\r\n" + data + ("\r\n--%s--\r\n" % boundary).encode())
        return self.server.call("POST", "/api/v1/devices/%s/media" % device, body, token=token,
                                headers={"Content-Type": "multipart/form-data; boundary=" + boundary})

    def test_invalid_utf8_and_bidi_controls_are_refused_and_names_are_nfc(self):
        s = self.server
        token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        device = unique("text")
        # A lone surrogate escape decodes to bytes that are not UTF-8: 400, nothing created.
        r = s.call("POST", "/api/v1/devices", '{"device_id":"%s","name":"Screen \\udc00"}' % device, token=token)
        self.assertEqual(r.status, 400, r)
        self.assertIn("not valid UTF-8", r.json()["error"]["message"])
        self.assertEqual(s.call("GET", "/api/v1/devices/%s" % device, token=token).status, 404)
        # A bidi override in a device name: 400 naming it.
        r = s.call("POST", "/api/v1/devices", {"device_id": device, "name": "Screen \u202e1"}, token=token)
        self.assertEqual(r.status, 400, r)
        self.assertIn("U+202E", r.json()["error"]["message"])
        self.assertEqual(s.call("POST", "/api/v1/devices", {"device_id": device, "name": "Экран"}, token=token).status, 201)
        # Multipart: raw bytes that are not UTF-8, a filename* whose bytes are not, a bidi control.
        for disposition in (b'filename="caf\xe9.png"', b"filename*=UTF-8''caf%E9.png",
                            b"filename*=UTF-8''report%E2%80%AEgnp.exe"):
            with self.subTest(disposition=disposition):
                r = self.upload(token, device, disposition)
                self.assertEqual(r.status, 400, r)
                r.json()  # the answer is valid JSON (and so valid UTF-8)
        # A decomposed name (as macOS sends it) is stored composed.
        decomposed = unicodedata.normalize("NFD", "Отчёт.png")
        self.assertNotEqual(decomposed, "Отчёт.png")
        r = self.upload(token, device, b"filename*=UTF-8''" + urllib.parse.quote(decomposed).encode())
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["items"][0]["name"], "Отчёт.png")
        files = s.call("GET", "/api/v1/devices/%s/media" % device, token=token).json()["items"]
        self.assertEqual([f["name"] for f in files], ["Отчёт.png"])
        # The player's resolver finds it by either spelling; a path that is not UTF-8 is a clean 400.
        for name in ("Отчёт.png", decomposed):
            r = s.call("GET", "/api/files/resolve/%s/%s" % (device, urllib.parse.quote(name)))
            self.assertEqual(r.status, 200, (name, r))
        r = s.call("GET", "/api/files/resolve/%s/caf%%E9.png" % device)
        self.assertEqual(r.status, 400, r)
        self.assertIn("not valid UTF-8", r.json()["error"]["message"])
        # An unknown device echoed in a 404 with broken bytes still answers valid JSON.
        r = s.call("GET", "/api/v1/devices/%FF%FE", token=token)
        self.assertIn(r.status, (400, 404), r)
        r.json()


# --------------------------------------------------------------------------
# item 4: device identity
# --------------------------------------------------------------------------

def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


class DeviceIdentityTest(ApiTestCase):
    """Item 4, with the server's own defaults (DEVICE_CREDENTIALS=required): a new device gets a
    credential, a legacy player registers by id, a stranger cannot tell unknown ids from wrong
    credentials, failures are limited per address, a refused player changes nothing, and what a
    player reports is bounded."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"DEVICE_CREDENTIALS": None, "PLAYER_REQUESTS_PER_MINUTE": None,
                                 "DEVICE_AUTH_FAILURES": "1000", "LOG_LEVEL": "info"})
        cls.token = cls.server.token("admin", ADMIN_PASSWORD)["access_token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def create(self, **extra):
        device = unique("ident")
        r = self.server.call("POST", "/api/v1/devices", dict({"device_id": device}, **extra), token=self.token)
        self.assertEqual(r.status, 201, r)
        return device, r

    def register(self, device, **fields):
        """One player/register over a raw WebSocket; the first answer event's name and payload."""
        ws = RawWs(self.server.port)
        try:
            ws.send("40")
            while not ws.recv().startswith("40"):
                pass
            ws.send("42" + json.dumps(["player/register", dict({"device_id": device}, **fields)]))
            while True:
                msg = ws.recv()
                if msg == "2":
                    ws.send("3")
                    continue
                if msg.startswith("42"):
                    name, payload = json.loads(msg[2:])[:2]
                    if name in ("player/reject", "player/registered"):
                        return name, payload
        finally:
            ws.close()

    def test_new_devices_need_their_credential_and_legacy_players_their_id(self):
        s = self.server
        log = read_text(s.log_path)
        self.assertNotIn("DEVICE_CREDENTIALS=off", log)
        device, r = self.create()
        created = r.json()
        self.assertTrue(created["credential"].startswith("vcd_"), created)
        self.assertFalse(created["legacy_player"])
        self.assertTrue(created["has_credential"])
        self.assertIn("no-store", r.headers.get("cache-control", ""))
        shown = s.call("GET", "/api/v1/devices/" + device, token=self.token).json()
        self.assertNotIn("credential", shown)
        files = "/api/devices/%s/files" % device
        self.assertEqual(s.call("GET", files).status, 401)
        self.assertEqual(s.call("GET", files + "?token=" + created["credential"]).status, 200)
        self.assertEqual(s.call("GET", files, headers={"X-Device-Token": created["credential"]}).status, 200)
        self.assertEqual(self.register(device)[0], "player/reject")
        name, payload = self.register(device, token=created["credential"])
        self.assertEqual(name, "player/registered", payload)

        legacy, r = self.create(legacy_player=True)
        self.assertNotIn("credential", r.json())
        self.assertTrue(r.json()["legacy_player"])
        self.assertEqual(s.call("GET", "/api/devices/%s/files" % legacy).status, 200)
        self.assertEqual(self.register(legacy)[0], "player/registered")
        # The flag off: the id alone is refused again.
        r = s.call("PATCH", "/api/v1/devices/" + legacy, {"legacy_player": False}, token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json()["legacy_player"])
        self.assertEqual(s.call("GET", "/api/devices/%s/files" % legacy).status, 401)
        self.assertEqual(s.call("PATCH", "/api/v1/devices/" + legacy, {"legacy_player": "yes"}, token=self.token).status, 400)
        self.assertEqual(s.call("PATCH", "/api/v1/devices/" + legacy, {}, token=self.token).status, 400)

    def test_unknown_devices_and_wrong_credentials_read_the_same_and_change_nothing(self):
        s = self.server
        device, r = self.create()
        before = s.call("GET", "/api/v1/devices/" + device, token=self.token)
        listed = s.call("GET", "/api/v1/devices?limit=200", token=self.token).json()
        answers = set()
        for who in (device, unique("nobody")):
            for query in ("", "?token=vcd_wrong"):
                for path in ("/api/devices/%s/files", "/api/devices/%s/placeholder", "/api/files/resolve/%s/a.png",
                             "/content/%s/a.png"):
                    r = s.call("GET", (path % who) + query)
                    self.assertEqual(r.status, 401, (path, who, query, r))
                    answers.add((query, r.body))
        self.assertEqual(len(answers), 2, answers)  # one answer per kind of request, whoever is asked
        for who in (device, unique("nobody")):
            name, payload = self.register(who, token="vcd_wrong", platform="evil", capabilities={"x": True})
            self.assertEqual((name, payload["reason"]), ("player/reject", "bad credential"))
        after = s.call("GET", "/api/v1/devices/" + device, token=self.token)
        self.assertEqual(before.json(), after.json())  # no last_seen_at, no platform, no status
        self.assertEqual(s.call("GET", "/api/v1/devices?limit=200", token=self.token).json(), listed)

    def test_failed_authentications_are_limited_per_address(self):
        # Its own server: the other tests' failures share 127.0.0.1's budget.
        server = Server(env={"DEVICE_CREDENTIALS": None, "DEVICE_AUTH_FAILURES": "5"})
        try:
            token = server.token("admin", ADMIN_PASSWORD)["access_token"]
            device = unique("limit")
            made = server.call("POST", "/api/v1/devices", {"device_id": device}, token=token).json()
            statuses = [server.call("GET", "/api/devices/%s/files?token=vcd_guess%d" % (device, i)).status
                        for i in range(7)]
            self.assertEqual(statuses, [401] * 5 + [429] * 2)
            r = server.call("GET", "/api/devices/%s/files?token=%s" % (device, made["credential"]))
            self.assertEqual(r.status, 429, r)  # the right one too, from this address, for now
            self.assertGreaterEqual(int(r.headers.get("retry-after", "0")), 1)
        finally:
            server.cleanup()

    def test_what_a_player_reports_is_bounded(self):
        s = self.server
        device, _ = self.create(legacy_player=True)
        name, payload = self.register(device, capabilities={"blob": "a" * (950 * 1024)})
        self.assertEqual((name, payload["reason"]), ("player/reject", "invalid report"))
        self.assertIn("capabilities", payload["message"])
        name, payload = self.register(device, platform="web\u202e")
        self.assertEqual((name, payload["reason"]), ("player/reject", "invalid report"))
        shown = s.call("GET", "/api/v1/devices/" + device, token=self.token).json()
        self.assertEqual(shown["capabilities"], {})
        self.assertIsNone(shown["last_seen_at"])
        name, _ = self.register(device, platform="Mozilla/5.0 " * 20, capabilities={"video": True})
        self.assertEqual(name, "player/registered")
        shown = s.call("GET", "/api/v1/devices/" + device, token=self.token).json()
        self.assertLessEqual(len(shown["platform"].encode()), 64)
        self.assertEqual(shown["capabilities"], {"video": True})

    def test_start_up_warns_when_players_register_by_id_alone(self):
        server = Server(env={"DEVICE_CREDENTIALS": "off", "LOG_LEVEL": "info"})
        try:
            log = read_text(server.log_path)
            self.assertIn("DEVICE_CREDENTIALS=off", log)
        finally:
            server.cleanup()
        # Under `required`, the next start names the legacy players and the devices that cannot register.
        server = Server(env={"DEVICE_CREDENTIALS": None, "LOG_LEVEL": "info"})
        again = None
        try:
            token = server.token("admin", ADMIN_PASSWORD)["access_token"]
            server.call("POST", "/api/v1/devices", {"device_id": unique("old"), "legacy_player": True}, token=token)
            bare = unique("bare")
            server.call("POST", "/api/v1/devices", {"device_id": bare}, token=token)
            self.assertEqual(server.call("DELETE", "/api/v1/devices/%s/credential" % bare, token=token).status, 204)
            stop_process(server.proc)
            log_path = os.path.join(server.data_dir, "again.log")
            with open(log_path, "wb") as log:
                again = subprocess.Popen([api_support.BINARY], cwd=server.data_dir, env=server.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 20
            text = ""
            while time.monotonic() < deadline and "listening on" not in text:
                time.sleep(0.1)
                text = read_text(log_path)
            self.assertIn("legacy players", text)
            self.assertIn("legacy_players=1", text)
            self.assertIn("have no credential and are not legacy players", text)
        finally:
            if again:
                stop_process(again)
            server.cleanup()


# --------------------------------------------------------------------------
# item 2: realtime connections that never CONNECT or never identify
# --------------------------------------------------------------------------

class RealtimeTimeoutsTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"REALTIME_CONNECT_TIMEOUT_MS": "1000", "REALTIME_IDENTIFY_TIMEOUT_MS": "2000"})

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_silent_and_anonymous_connections_are_dropped_panels_stay(self):
        s = self.server
        token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        never_connects = RawWs(s.port)
        anonymous = RawWs(s.port)
        anonymous.send("40")
        self.assertTrue(anonymous.recv().startswith("40{"))
        panel = RawWs(s.port)
        panel.send('40{"token":"%s"}' % token)
        self.assertTrue(panel.recv().startswith("40{"))
        r = s.call("GET", "/socket.io/?EIO=4&transport=polling")
        polling_sid = json.loads(r.body.decode()[1:])["sid"]
        started = time.monotonic()
        try:
            # The hub sweeps every 5 s: CONNECT is due after 1 s, identification after 2 s.
            self.assertTrue(never_connects.closed_by_server(9), "a connection without CONNECT stayed")
            self.assertTrue(anonymous.closed_by_server(max(0.1, 9 - (time.monotonic() - started))),
                            "a connection that never identified stayed")
            r = s.call("GET", "/socket.io/?EIO=4&transport=polling&sid=" + polling_sid)
            self.assertTrue(r.status == 400 or r.body == b"1", (r.status, r.body))
            # The panel (token at CONNECT) is still there after the sweeps.
            remaining = 11 - (time.monotonic() - started)
            self.assertFalse(panel.closed_by_server(max(0.5, remaining)), "an authenticated panel was dropped")
        finally:
            for w in (never_connects, anonymous, panel):
                w.close()


# --------------------------------------------------------------------------
# item 4: per-address cap and descriptor exhaustion
# --------------------------------------------------------------------------

class ConnectionLimitsTest(ApiTestCase):
    def test_connections_per_address_are_capped_and_the_version_header_is_opt_in(self):
        s = Server(env={"MAX_CONNECTIONS_PER_ADDRESS": "4", "SERVER_HEADER_VERSION": "true"})
        held = []
        try:
            self.assertTrue(s.call("GET", "/healthz").headers.get("server", "").startswith("videocontrol/"))
            held = [connect(s.port) for _ in range(4)]
            time.sleep(0.3)  # all four accepted
            extra = connect(s.port)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            raw, closed = read_all(extra, timeout=3)
            extra.close()
            self.assertTrue(closed)
            self.assertEqual(raw, b"", "a fifth connection from one address was served")
            held.pop().close()
            time.sleep(0.3)
            self.assertEqual(s.call("GET", "/healthz").status, 200)
            # The server may not have seen that request's connection close yet: one more place for
            # the metrics request.
            held.pop().close()
            time.sleep(0.3)
            self.assertGreaterEqual(metric(s, "videocontrol_connections_dropped_total", {"reason": "address_limit"}), 1)
        finally:
            for h in held:
                h.close()
            s.cleanup()

    def test_out_of_descriptors_backs_off_logs_little_and_recovers(self):
        s = Server(env={"MAX_CONNECTIONS_PER_ADDRESS": "0", "LOG_LEVEL": "warn"})
        clients = []
        try:
            pid = s.proc.pid
            open_now = len(os.listdir("/proc/%d/fd" % pid))
            limit = open_now + 24
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
            # More connections than the server has descriptors left: the kernel completes them all
            # (the backlog), the server accepts until EMFILE.
            for _ in range(80):
                clients.append(connect(s.port))
            time.sleep(0.5)
            with open(s.log_path, "rb") as f:
                log_before = f.read().count(b"\n")
            cpu_before = cpu_seconds(pid)
            time.sleep(2.0)
            cpu_used = cpu_seconds(pid) - cpu_before
            with open(s.log_path, "rb") as f:
                text = f.read()
            new_lines = text.count(b"\n") - log_before
            print("\n  out of descriptors: %.2f s CPU in 2 s, %d log lines in 2 s, %d accept-failure lines in all"
                  % (cpu_used, new_lines, text.count(b"accept failed")), file=sys.stderr)
            self.assertIn(b"accept failed", text, "the server never ran out of descriptors%s" % s.describe())
            self.assertLess(cpu_used, 0.5, "the accept loop spins")
            self.assertLess(new_lines, 10, "the log is flooded")
            for c in clients:
                c.close()
            clients = []
            deadline = time.monotonic() + 10
            ok = False
            while time.monotonic() < deadline and not ok:
                try:
                    ok = s.call("GET", "/healthz").status == 200
                except OSError:
                    time.sleep(0.2)
            self.assertTrue(ok, "not serving again after the connections closed%s" % s.describe())
            self.assertGreaterEqual(metric(s, "videocontrol_connections_dropped_total", {"reason": "no_descriptors"}), 1)
        finally:
            for c in clients:
                c.close()
            s.cleanup()


if __name__ == "__main__":
    api_support.run_main()
