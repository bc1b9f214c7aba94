#!/usr/bin/python3
"""Integration test: devices, streamed uploads with deduplication, the media library, Range serving,
placeholders and the read-path cache over the real server binary (issue 4).

Usage:
    /usr/bin/python3 tests/integration/test_media.py --binary PATH/videocontrol-server [unittest args]

The binary can also be given with VC_SERVER_BINARY. Only the Python 3 standard library is used
(helpers in api_support.py). VC_BIG_UPLOAD_BYTES sets the size of the generated upload whose
server memory is measured (default 2 GiB, 128 MiB for an AddressSanitizer binary; 0 skips it),
VC_BIG_UPLOAD_MAX_RSS_MB the bound on the server's peak RSS during it (default 150; 1024 under
ASan, whose quarantine alone may hold 256 MB) and VC_BIG_UPLOAD_MAX_SECONDS the time allowed
(default 180).
"""

import hashlib
import http.client
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Reply, Server, unique  # noqa: E402

ROLES = ("viewer", "speaker", "operator", "admin")
QUIET_ENV = {"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000"}


def big_upload_settings(binary):
    """(bytes, RSS bound in MB, seconds allowed). Under AddressSanitizer (shadow memory, quarantine,
    several times slower) the defaults are a smaller stream and looser bounds."""
    asan = False
    try:
        with open(binary, "rb") as f:
            asan = b"__asan_init" in f.read()
    except OSError:
        pass
    size = int(os.environ.get("VC_BIG_UPLOAD_BYTES", str((128 << 20) if asan else (2 << 30))))
    rss = float(os.environ.get("VC_BIG_UPLOAD_MAX_RSS_MB", "1024" if asan else "150"))
    seconds = float(os.environ.get("VC_BIG_UPLOAD_MAX_SECONDS", "180"))
    return size, rss, seconds


# --------------------------------------------------------------------------
# bytes that the server's content sniffing recognises
# --------------------------------------------------------------------------

def png(n=256):
    return b"\x89PNG\r\n\x1a\n" + os.urandom(n)


def mp4(n=256):
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(n)


def pdf(n=256):
    return b"%PDF-1.7\n" + os.urandom(n)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def multipart(parts, boundary=None):
    """parts: list of (field, filename or None, bytes) or (field, None, bytes, raw_disposition_params).
    Returns (content_type, body)."""
    boundary = boundary or "vcboundary" + uuid.uuid4().hex
    out = []
    for part in parts:
        field, filename, data = part[:3]
        disp = 'form-data; name="%s"' % field
        if len(part) > 3:
            disp += part[3]
        elif filename is not None:
            disp += '; filename="%s"' % filename.replace("\\", "\\\\").replace('"', '\\"')
        out.append(b"--" + boundary.encode() + b"\r\n")
        out.append(("Content-Disposition: %s\r\n" % disp).encode("utf-8"))
        if filename is not None or len(part) > 3:
            out.append(b"Content-Type: application/octet-stream\r\n")
        out.append(b"\r\n")
        out.append(data)
        out.append(b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return "multipart/form-data; boundary=" + boundary, b"".join(out)


def quote(segment):
    return urllib.parse.quote(segment, safe="")


# --------------------------------------------------------------------------
# raw-socket and streaming helpers
# --------------------------------------------------------------------------

def read_raw_reply(sock, timeout=15.0):
    """Reads one HTTP response (headers + Content-Length body) from a raw socket."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Reply("RAW", "", status, headers, rest[:length])


def vm_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------

class MediaTest(ApiTestCase):
    """One server shared by most tests: organisations A and B (PRO) with one user of each role."""

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
        cls.super_token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        cls.orgs = {}
        cls.tokens = {}
        for o in ("a", "b"):
            r = s.call("POST", "/api/v1/organizations",
                       {"name": "Media " + o, "slug": unique("media-" + o), "plan": "PRO"}, token=cls.super_token)
            assert r.status == 201, repr(r)
            cls.orgs[o] = r.json()
            for role in ROLES:
                username = unique("%s-%s" % (o, role))
                r = s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD, "role": role,
                                                     "organization_id": cls.orgs[o]["id"]}, token=cls.super_token)
                assert r.status == 201, repr(r)
                cls.tokens[(o, role)] = s.token(username)["access_token"]

    # -- helpers -----------------------------------------------------------
    def tok(self, org, role="operator"):
        return self.tokens[(org, role)]

    def call(self, *args, **kw):
        return self.server.call(*args, **kw)

    @property
    def content_dir(self):
        return os.path.join(self.server.data_dir, "content")

    def blob_files(self):
        out = []
        for root, _, files in os.walk(os.path.join(self.content_dir, "blobs")):
            out.extend(os.path.join(root, f) for f in files)
        return sorted(out)

    def tmp_files(self):
        d = os.path.join(self.content_dir, "tmp")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def wait_tmp_empty(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.tmp_files() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.tmp_files(), [], "temporary upload files left behind")

    def new_device(self, org="a", name=None):
        device_id = unique("dev")
        body = {"device_id": device_id}
        if name:
            body["name"] = name
        r = self.assertStatus(self.call("POST", "/api/v1/devices", body, token=self.tok(org)), 201)
        return r.json()

    def upload(self, device_id, files, token=None, org="a", headers=None):
        """files: list of (filename, bytes); posted as parts named 'files'."""
        ctype, body = multipart([("files", name, data) for name, data in files])
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.call("POST", "/api/v1/devices/%s/media" % quote(device_id), body,
                         token=token or self.tok(org), headers=h)

    def upload_one(self, device_id, name, data, org="a"):
        r = self.assertStatus(self.upload(device_id, [(name, data)], org=org), 201)
        items = r.json()["items"]
        self.assertEqual(len(items), 1, repr(r))
        return items[0]

    def media_ids(self, org="a"):
        items, _ = self.collect_pages(self.server, "/api/v1/media", self.tok(org, "viewer"), limit=200)
        return {m["id"] for m in items}

    def device_files(self, device_id, org="a"):
        r = self.assertStatus(self.call("GET", "/api/v1/devices/%s/media" % quote(device_id),
                                        token=self.tok(org, "viewer"), query={"limit": 200}), 200)
        return {f["name"]: f for f in r.json()["items"]}

    def cache_hits(self):
        r = self.call("GET", "/metrics")
        if r.status != 200:
            return None
        m = re.search(rb"^videocontrol_cache_hits_total (\d+)", r.body, re.M)
        return int(m.group(1)) if m else None

    # ======================================================================
    # devices
    # ======================================================================

    def test_device_create_get_rename_delete_by_role(self):
        device_id = unique("crud")
        self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": device_id}), 401, "unauthenticated")
        for role in ("viewer", "speaker"):
            self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": device_id}, token=self.tok("a", role)),
                              403, "forbidden", role)
        r = self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": device_id, "name": "Lobby"},
                                        token=self.tok("a", "operator")), 201)
        self.assertEqual(r.headers.get("location"), "/api/v1/devices/" + device_id)
        d = r.json()
        self.assertEqual((d["device_id"], d["name"], d["status"], d["organization_id"]),
                         (device_id, "Lobby", "offline", self.orgs["a"]["id"]))
        for key in ("device_type", "platform", "capabilities", "has_credential", "placeholder_media_id",
                    "last_seen_at", "now_playing", "created_at", "updated_at"):
            self.assertIn(key, d)
        # A new device gets a credential, shown in this answer only (issue 16).
        self.assertTrue(d["has_credential"])
        self.assertFalse(d["legacy_player"])
        self.assertTrue(d["credential"].startswith("vcd_"))
        self.assertNotIn("credential_hash", r.body.decode())

        # device_id is unique in the whole installation; malformed ids are refused.
        self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": device_id}, token=self.tok("b")),
                          409, "conflict")
        for bad in ("has space", "", "x" * 65, "../x", "ü"):
            self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": bad}, token=self.tok("a")),
                              400, "invalid", repr(bad))
        self.assertStatus(self.call("POST", "/api/v1/devices", {"name": "no id"}, token=self.tok("a")), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/devices", "not json", token=self.tok("a")), 400, "invalid")
        # The default name is the device_id.
        other = self.new_device()
        self.assertEqual(other["name"], other["device_id"])

        path = "/api/v1/devices/" + device_id
        for role in ROLES:
            self.assertEqual(self.assertStatus(self.call("GET", path, token=self.tok("a", role)), 200).json()["name"],
                             "Lobby")
            self.assertStatus(self.call("GET", path, token=self.tok("b", role)), 404, "not_found")
        self.assertStatus(self.call("PATCH", path, {"name": "x"}, token=self.tok("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("PATCH", path, {"name": "x"}, token=self.tok("b", "admin")), 404, "not_found")
        self.assertStatus(self.call("PATCH", path, {}, token=self.tok("a")), 400, "invalid")
        self.assertStatus(self.call("PATCH", path, {"name": 5}, token=self.tok("a")), 400, "invalid")
        r = self.assertStatus(self.call("PATCH", path, {"name": "Foyer"}, token=self.tok("a")), 200)
        self.assertEqual(r.json()["name"], "Foyer")
        self.assertEqual(self.call("GET", path, token=self.tok("a", "viewer")).json()["name"], "Foyer")

        self.assertStatus(self.call("DELETE", path, token=self.tok("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", path, token=self.tok("b", "admin")), 404, "not_found")
        self.assertStatus(self.call("DELETE", path, token=self.tok("a", "admin")), 204)
        self.assertStatus(self.call("GET", path, token=self.tok("a")), 404, "not_found")
        self.assertStatus(self.call("DELETE", path, token=self.tok("a")), 404, "not_found")
        # The id is free again.
        self.assertStatus(self.call("POST", "/api/v1/devices", {"device_id": device_id}, token=self.tok("b")), 201)

    def test_device_credential_is_shown_once_rotated_and_cleared(self):
        d = self.new_device()
        path = "/api/v1/devices/%s/credential" % d["device_id"]
        self.assertStatus(self.call("POST", path, token=self.tok("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("POST", path, token=self.tok("b", "admin")), 404, "not_found")
        r = self.assertStatus(self.call("POST", path, token=self.tok("a")), 201)
        first = r.json()["credential"]
        self.assertTrue(isinstance(first, str) and len(first) >= 32, repr(r))
        got = self.call("GET", "/api/v1/devices/" + d["device_id"], token=self.tok("a", "viewer"))
        self.assertTrue(got.json()["has_credential"])
        self.assertNotIn(first, got.body.decode())
        second = self.assertStatus(self.call("POST", path, token=self.tok("a")), 201).json()["credential"]
        self.assertNotEqual(first, second)
        self.assertStatus(self.call("DELETE", path, token=self.tok("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", path, token=self.tok("b")), 404, "not_found")
        self.assertStatus(self.call("DELETE", path, token=self.tok("a")), 204)
        got = self.call("GET", "/api/v1/devices/" + d["device_id"], token=self.tok("a", "viewer"))
        self.assertFalse(got.json()["has_credential"])

    def test_device_list_pages_fields_and_status_filter(self):
        s = self.server
        # An organisation of its own, so the counts are exact.
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "List", "slug": unique("list"), "plan": "PRO"},
                                       token=self.super_token), 201).json()
        username = unique("list-op")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "operator", "organization_id": org["id"]},
                                 token=self.super_token), 201)
        token = s.token(username)["access_token"]
        ids = sorted(unique("list%d" % i) for i in range(7))
        for device_id in ids:
            self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": device_id}, token=token), 201)

        items, pages = self.collect_pages(s, "/api/v1/devices", token, limit=3)
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(d["device_id"] for d in items), ids)
        self.assertEqual(len({d["device_id"] for d in items}), 7, "a device listed twice across pages")

        r = self.assertStatus(s.call("GET", "/api/v1/devices", token=token,
                                     query={"fields": "device_id,name", "limit": 200}), 200)
        self.assertEqual(len(r.json()["items"]), 7)
        for d in r.json()["items"]:
            self.assertEqual(set(d), {"device_id", "name"})
        r = self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"fields": " status , now_playing "}),
                              200)
        self.assertEqual(set(r.json()["items"][0]), {"status", "now_playing"})
        self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"fields": "device_id,secret"}),
                          400, "invalid")
        self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"fields": "credential_hash"}),
                          400, "invalid")

        for bad in ({"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"status": "asleep"}):
            self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query=bad), 400, "invalid", repr(bad))

        off = self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"status": "offline"}), 200)
        self.assertEqual(len(off.json()["items"]), 7)
        on = self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"status": "online"}), 200)
        self.assertEqual(on.json()["items"], [])

        # A player registering over Engine.IO long-polling makes its device online.
        self._register_player(ids[0])
        deadline = time.monotonic() + 5
        while True:
            on = self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"status": "online"}), 200)
            if on.json()["items"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual([d["device_id"] for d in on.json()["items"]], [ids[0]])
        self.assertEqual(on.json()["items"][0]["status"], "online")
        self.assertIsNotNone(on.json()["items"][0]["last_seen_at"])
        off = self.assertStatus(s.call("GET", "/api/v1/devices", token=token, query={"status": "offline"}), 200)
        self.assertEqual(sorted(d["device_id"] for d in off.json()["items"]), ids[1:])

        # Other organisations see none of these.
        r = self.assertStatus(s.call("GET", "/api/v1/devices", token=self.tok("b", "viewer"),
                                     query={"limit": 200}), 200)
        self.assertFalse(set(ids) & {d["device_id"] for d in r.json()["items"]})

    def _register_player(self, device_id):
        s = self.server
        r = s.call("GET", "/socket.io/", query={"EIO": "4", "transport": "polling"})
        self.assertEqual(r.status, 200, repr(r))
        self.assertTrue(r.body.startswith(b"0"), repr(r))
        sid = json.loads(r.body[1:].split(b"\x1e")[0])["sid"]
        q = {"EIO": "4", "transport": "polling", "sid": sid}
        ctype = {"Content-Type": "text/plain;charset=UTF-8"}
        self.assertEqual(s.call("POST", "/socket.io/", "40", headers=ctype, query=q).status, 200)
        r = s.call("GET", "/socket.io/", query=q)
        self.assertIn(b"40", r.body)
        packet = "42" + json.dumps(["player/register", {"device_id": device_id, "device_type": "test",
                                                        "platform": "python"}])
        self.assertEqual(s.call("POST", "/socket.io/", packet, headers=ctype, query=q).status, 200)

    def test_device_list_second_identical_request_is_a_cache_hit_and_a_rename_shows_at_once(self):
        d = self.new_device(name="Before")
        token = self.tok("a", "viewer")
        query = {"limit": 200}
        first = self.assertStatus(self.call("GET", "/api/v1/devices", token=token, query=query), 200)
        hits = self.cache_hits()
        second = self.assertStatus(self.call("GET", "/api/v1/devices", token=token, query=query), 200)
        self.assertEqual(first.body, second.body)
        if hits is not None:
            self.assertGreaterEqual(self.cache_hits(), hits + 1, "the second identical list was not a cache hit")
        self.assertStatus(self.call("PATCH", "/api/v1/devices/" + d["device_id"], {"name": "After"},
                                    token=self.tok("a")), 200)
        third = self.assertStatus(self.call("GET", "/api/v1/devices", token=token, query=query), 200)
        names = {x["device_id"]: x["name"] for x in third.json()["items"]}
        self.assertEqual(names[d["device_id"]], "After", "a rename is not visible in the next list")
        # The same for a device's files: a new upload is listed immediately.
        self.assertEqual(self.device_files(d["device_id"]), {})
        self.upload_one(d["device_id"], "fresh.png", png())
        self.assertIn("fresh.png", self.device_files(d["device_id"]))
        # And a deletion.
        self.assertStatus(self.call("DELETE", "/api/v1/devices/" + d["device_id"], token=self.tok("a")), 204)
        r = self.assertStatus(self.call("GET", "/api/v1/devices", token=token, query=query), 200)
        self.assertNotIn(d["device_id"], {x["device_id"] for x in r.json()["items"]})

    def test_device_limit_of_the_plan_is_a_quota_error(self):
        s = self.server
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "Small", "slug": unique("small"), "plan": "PRO"},
                                       token=self.super_token), 201).json()
        self.assertStatus(s.call("PATCH", "/api/v1/organizations/" + org["id"], {"max_devices": 2},
                                 token=self.super_token), 200)
        username = unique("small-op")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "operator", "organization_id": org["id"]},
                                 token=self.super_token), 201)
        token = s.token(username)["access_token"]
        for _ in range(2):
            self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": unique("sm")}, token=token), 201)
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": unique("sm")}, token=token), 403, "quota")

    # ======================================================================
    # uploads
    # ======================================================================

    def test_upload_of_several_files_in_one_request_stores_each(self):
        d = self.new_device()
        files = [("clip.mp4", mp4(5000)), ("still.png", png(3000)), ("deck.pdf", pdf(7000))]
        r = self.assertStatus(self.upload(d["device_id"], files), 201)
        self.assertEqual(r.headers.get("location"), "/api/v1/devices/%s/media" % d["device_id"])
        items = r.json()["items"]
        self.assertEqual([i["name"] for i in items], ["clip.mp4", "still.png", "deck.pdf"])
        self.assertEqual([i["kind"] for i in items], ["video", "image", "pdf"])
        self.assertEqual([i["mime"] for i in items], ["video/mp4", "image/png", "application/pdf"])
        for item, (_, data) in zip(items, files):
            self.assertEqual(item["size"], len(data))
            self.assertEqual(item["hash"], sha256(data))
            self.assertIs(item["deduplicated"], False)
            self.assertEqual(item["status"], "processing")  # new bytes go to the content pipeline
        listed = self.device_files(d["device_id"])
        self.assertEqual(set(listed), {"clip.mp4", "still.png", "deck.pdf"})
        for item, (_, data) in zip(items, files):
            m = self.assertStatus(self.call("GET", "/api/v1/media/" + item["id"], token=self.tok("a", "viewer")), 200)
            self.assertEqual(m.json()["hash"], sha256(data))
            c = self.assertStatus(self.call("GET", "/api/v1/media/%s/content" % item["id"],
                                            token=self.tok("a", "viewer")), 200)
            self.assertEqual(c.body, data)
            self.assertEqual(c.headers["content-type"], item["mime"])
        # Other form fields and empty file inputs are ignored.
        ctype, body = multipart([("note", None, b"hello"), ("files", "", b""), ("other", "x.png", png()),
                                 ("files", "only.png", png())])
        r = self.assertStatus(self.call("POST", "/api/v1/devices/%s/media" % d["device_id"], body,
                                        token=self.tok("a"), headers={"Content-Type": ctype}), 201)
        self.assertEqual([i["name"] for i in r.json()["items"]], ["only.png"])
        # A body without any file is a clear 400.
        ctype, body = multipart([("note", None, b"hello")])
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/media" % d["device_id"], body,
                                    token=self.tok("a"), headers={"Content-Type": ctype}), 400, "invalid")
        self.wait_tmp_empty()

    def test_upload_of_the_same_bytes_twice_stores_one_blob(self):
        d1, d2 = self.new_device(), self.new_device()
        data = mp4(20000)
        before = self.blob_files()
        first = self.upload_one(d1["device_id"], "one.mp4", data)
        self.assertIs(first["deduplicated"], False)
        after_first = self.blob_files()
        self.assertEqual(len(after_first), len(before) + 1)
        self.assertTrue(any(p.endswith(sha256(data)) for p in after_first))

        second = self.upload_one(d2["device_id"], "two.mp4", data)
        self.assertIs(second["deduplicated"], True)
        self.assertEqual(second["id"], first["id"], "the same bytes became a second media item")
        self.assertEqual(second["name"], "two.mp4")
        self.assertEqual(self.blob_files(), after_first, "the same bytes were stored twice")
        self.assertIn("two.mp4", self.device_files(d2["device_id"]))
        # Twice in the same request, too.
        d3 = self.new_device()
        other = png(999)
        r = self.assertStatus(self.upload(d3["device_id"], [("x.png", other), ("y.png", other)]), 201)
        self.assertEqual([i["deduplicated"] for i in r.json()["items"]], [False, True])
        self.assertEqual(len(self.blob_files()), len(after_first) + 1)
        # Another organisation gets its own media item, but the store still holds the bytes once.
        b = self.new_device("b")
        theirs = self.upload_one(b["device_id"], "one.mp4", data, org="b")
        self.assertIs(theirs["deduplicated"], False)
        self.assertNotEqual(theirs["id"], first["id"])
        self.assertEqual(len(self.blob_files()), len(after_first) + 1)
        self.wait_tmp_empty()

    def _quota_org(self, limit):
        s = self.server
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "Quota", "slug": unique("quota"), "plan": "PRO"},
                                       token=self.super_token), 201).json()
        self.assertStatus(s.call("PATCH", "/api/v1/organizations/" + org["id"], {"max_storage_bytes": limit},
                                 token=self.super_token), 200)
        username = unique("quota-op")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "operator", "organization_id": org["id"]},
                                 token=self.super_token), 201)
        token = s.token(username)["access_token"]
        device_id = unique("q")
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": device_id}, token=token), 201)
        return org, token, device_id

    def test_upload_over_the_storage_quota_is_403_and_stores_nothing(self):
        s = self.server
        org, token, device_id = self._quota_org(10000)
        blobs_before = self.blob_files()
        path = "/api/v1/devices/%s/media" % device_id

        # Known length: refused from the headers, before any body byte (the body is never sent).
        ctype, body = multipart([("files", "big.mp4", mp4(20000))])
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=15)
        try:
            sock.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"
                          "Content-Length: %d\r\n\r\n" % (path, token, ctype, len(body))).encode())
            r = read_raw_reply(sock)
        finally:
            sock.close()
        self.assertEqual(r.status, 403, repr(r))
        err = r.json()["error"]
        self.assertEqual(err["code"], "quota")
        self.assertIn("quota", err["message"])

        # Unknown length (chunked): refused once the file is complete, and nothing kept.
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=15)
        try:
            conn.request("POST", path, body=iter([body[:7000], body[7000:]]), encode_chunked=True,
                         headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
            resp = conn.getresponse()
            reply = Reply("POST", path, resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()
        self.assertStatus(reply, 403, "quota")

        r = self.assertStatus(s.call("GET", "/api/v1/organizations/%s/usage" % org["id"], token=token), 200)
        self.assertEqual(r.json()["storage_bytes"], 0)
        self.assertEqual(self.assertStatus(s.call("GET", path, token=token), 200).json()["items"], [])
        self.assertEqual(self.assertStatus(s.call("GET", "/api/v1/media", token=token), 200).json()["items"], [])
        self.assertEqual(self.blob_files(), blobs_before)
        self.wait_tmp_empty()

        # Within the quota it works, and the usage counts it.
        small = png(4000)
        ctype, body = multipart([("files", "small.png", small)])
        self.assertStatus(s.call("POST", path, body, token=token, headers={"Content-Type": ctype}), 201)
        r = self.assertStatus(s.call("GET", "/api/v1/organizations/%s/usage" % org["id"], token=token), 200)
        self.assertEqual(r.json()["storage_bytes"], len(small))

    def _start_raw_upload(self, device_id, name, total, sent, token=None):
        """Opens a raw connection announcing a `total`-byte multipart body and sends `sent` bytes of
        a file part; returns the socket."""
        boundary = "vcdrop" + uuid.uuid4().hex
        head = ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
                "Content-Type: video/mp4\r\n\r\n" % (boundary, name)).encode()
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        sock.sendall(("POST /api/v1/devices/%s/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n"
                      % (device_id, token or self.tok("a"), boundary, total)).encode())
        sock.sendall(head + mp4(1000))
        chunk = os.urandom(1 << 16)
        left = sent
        while left > 0:
            n = min(left, len(chunk))
            sock.sendall(chunk[:n])
            left -= n
        return sock

    def test_a_connection_dropped_mid_file_leaves_no_row_no_blob_and_no_temporary_file(self):
        d = self.new_device()
        media_before, blobs_before = self.media_ids(), self.blob_files()
        for how in ("fin", "reset"):
            sock = self._start_raw_upload(d["device_id"], "drop-%s.mp4" % how, total=200 << 20, sent=8 << 20)
            # The server is writing the temporary file.
            deadline = time.monotonic() + 10
            while not self.tmp_files() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(self.tmp_files(), "no temporary file while the upload streams")
            if how == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            self.wait_tmp_empty()
        self.assertEqual(self.media_ids(), media_before)
        self.assertEqual(self.blob_files(), blobs_before)
        self.assertEqual(self.device_files(d["device_id"]), {})
        # A complete file followed by a drop in the next one leaves nothing either.
        boundary = "vcdrop2" + uuid.uuid4().hex
        first = png(5000)
        body = ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"done.png\"\r\n\r\n"
                % boundary).encode() + first + ("\r\n--%s\r\nContent-Disposition: form-data; name=\"files\"; "
                                                "filename=\"cut.mp4\"\r\n\r\n" % boundary).encode() + mp4(1 << 20)
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        sock.sendall(("POST /api/v1/devices/%s/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n"
                      % (d["device_id"], self.tok("a"), boundary, len(body) + 100000)).encode() + body)
        time.sleep(0.3)
        sock.close()
        self.wait_tmp_empty()
        self.assertEqual(self.media_ids(), media_before)
        self.assertEqual(self.blob_files(), blobs_before)
        self.assertEqual(self.device_files(d["device_id"]), {})

    def test_hostile_file_names_are_made_safe_or_refused_and_nothing_is_written_outside_the_content_folder(self):
        d = self.new_device()
        data_dir = self.server.data_dir
        parent = os.path.dirname(data_dir)
        parent_before = set(os.listdir(parent))

        made_safe = [
            ('; filename="../../evil.png"', "evil.png"),
            ('; filename="/etc/passwd.png"', "passwd.png"),
            ('; filename="a/b/c.png"', "a"),  # a relative path is a directory upload: the folder item "a"
            ('; filename="..\\..\\win.png"', "win.png"),        # bare backslashes, as browsers send them
            ("; filename*=UTF-8''..%2F..%2Fstar.png", "star.png"),
            ("; filename*=UTF-8''ctl%01%1f%7fname.png", "ctlname.png"),
            ('; filename=".hidden.png"', "hidden.png"),
            ("; filename*=UTF-8''%C3%BCber%20caf%C3%A9.png", "über café.png"),
            ('; filename="%s.png"' % ("n" * 251), "n" * 251 + ".png"),  # 255 bytes: the longest allowed
        ]
        for disposition, expected in made_safe:
            ctype, body = multipart([("files", None, png(), disposition)])
            r = self.call("POST", "/api/v1/devices/%s/media" % d["device_id"], body, token=self.tok("a"),
                          headers={"Content-Type": ctype})
            self.assertStatus(r, 201, msg=disposition)
            self.assertEqual(r.json()["items"][0]["name"], expected, disposition)

        blobs_before, media_before = self.blob_files(), self.media_ids()
        refused = [
            "; filename*=UTF-8''a%00b.png",                 # NUL
            '; filename="%s.png"' % ("n" * 296),            # 300 bytes
            "; filename*=UTF-8''%s.png" % ("%C3%A9" * 130),  # 264 bytes of UTF-8
            '; filename=".."',
            '; filename="../"',
            '; filename=" . "',
        ]
        for disposition in refused:
            ctype, body = multipart([("files", None, png(), disposition)])
            r = self.call("POST", "/api/v1/devices/%s/media" % d["device_id"], body, token=self.tok("a"),
                          headers={"Content-Type": ctype})
            self.assertStatus(r, 400, "invalid", disposition)
        self.assertEqual(self.blob_files(), blobs_before)
        self.assertEqual(self.media_ids(), media_before)
        self.wait_tmp_empty()

        # Nothing landed anywhere but the content folder's blobs (named by hash) and temp folder.
        names = {os.path.basename(e) for _, e in made_safe} | {"passwd", "etc"}
        # The data folder's parent is the shared temp folder, where other suites running at the same
        # time make their own folders (vc-fixtures-…): only files, or anything named like an upload,
        # would have come from here.
        appeared = set(os.listdir(parent)) - parent_before - {".", ".."}
        escaped = {n for n in appeared if n in names or not os.path.isdir(os.path.join(parent, n))}
        self.assertEqual(escaped, set(), "files appeared next to the data folder")
        blob_re = re.compile(r"^blobs/([0-9a-f]{2})/\1[0-9a-f]{62}$")
        for root, dirs, files in os.walk(data_dir):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), data_dir)
                self.assertNotIn(f, names, "a client file name became a path: " + rel)
                if rel.startswith("content" + os.sep):
                    inner = os.path.relpath(os.path.join(root, f), self.content_dir)
                    # derived/: the content pipeline's outputs, named by hash, profile and number.
                    derived_re = re.compile(r"^derived/(tmp/[0-9a-f-]+/|([0-9a-f]{2})/\2[0-9a-f]{62}/[a-z0-9.-]+/)")
                    self.assertTrue(blob_re.match(inner) or inner.startswith("tmp" + os.sep) or derived_re.match(inner),
                                    "unexpected file in the content folder: " + inner)
                else:
                    self.assertTrue(f.startswith("videocontrol.db") or f == "server.log" or rel.startswith("."),
                                    "unexpected file in the data folder: " + rel)

    def test_unsupported_content_or_body_type_is_415_and_stores_nothing(self):
        d = self.new_device()
        path = "/api/v1/devices/%s/media" % d["device_id"]
        blobs_before, media_before = self.blob_files(), self.media_ids()
        for name, data in (("notes.txt", b"just some text\n" * 20), ("image.pdf", png()), ("movie.png", mp4()),
                           ("run.exe", b"MZ\x90\x00" + os.urandom(100)), ("empty.png", b"")):
            r = self.assertStatus(self.upload(d["device_id"], [(name, data)]), 415, "unsupported", name)
            self.assertIn(name, r.json()["error"]["message"])
        # A good file followed by a bad one: the request fails as a whole.
        r = self.assertStatus(self.upload(d["device_id"], [("good.png", png()), ("bad.txt", b"text" * 10)]),
                              415, "unsupported")
        for ctype in ("application/json", "application/octet-stream", "text/plain", None):
            headers = {"Content-Type": ctype} if ctype else {}
            r = self.call("POST", path, b'{"files": []}' if ctype else None, token=self.tok("a"), headers=headers)
            self.assertStatus(r, 415, "unsupported", repr(ctype))
        for ctype in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"a\"b"):
            self.assertStatus(self.call("POST", path, b"x", token=self.tok("a"), headers={"Content-Type": ctype}),
                              400, "invalid", ctype)
        # A truncated or malformed multipart body is a 400.
        ctype, body = multipart([("files", "cut.png", png())])
        self.assertStatus(self.call("POST", path, body[:-20], token=self.tok("a"), headers={"Content-Type": ctype}),
                          400, "invalid")
        self.assertEqual(self.blob_files(), blobs_before)
        self.assertEqual(self.media_ids(), media_before)
        self.assertEqual(self.device_files(d["device_id"]), {})
        self.wait_tmp_empty()

    def test_upload_needs_an_operator_of_the_devices_organisation(self):
        d = self.new_device()
        ghost = unique("ghost")
        files = [("r.png", png())]
        self.assertStatus(self.upload(d["device_id"], files, token="garbage"), 401, "unauthenticated")
        ctype, body = multipart([("files", "r.png", png())])
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/media" % d["device_id"], body,
                                    headers={"Content-Type": ctype}), 401, "unauthenticated")
        for role in ("viewer", "speaker"):
            self.assertStatus(self.upload(d["device_id"], files, token=self.tok("a", role)), 403, "forbidden", role)
        for role in ROLES:
            self.assertStatus(self.upload(d["device_id"], files, token=self.tok("b", role)), 404, "not_found", role)
            self.assertStatus(self.upload(ghost, files, token=self.tok("b", role)), 404, "not_found", role)
        self.assertStatus(self.upload(d["device_id"], files, token=self.tok("a", "admin")), 201)
        self.assertEqual(set(self.device_files(d["device_id"])), {"r.png"})
        self.wait_tmp_empty()

    def test_a_request_over_the_route_cap_is_413_without_reading_the_body(self):
        d = self.new_device()
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        try:
            sock.sendall(("POST /api/v1/devices/%s/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                          "Content-Type: multipart/form-data; boundary=abc\r\nContent-Length: %d\r\n\r\n"
                          % (d["device_id"], self.tok("a"), 70 << 30)).encode())
            r = read_raw_reply(sock)
        finally:
            sock.close()
        self.assertEqual(r.status, 413, repr(r))

    # ======================================================================
    # the media library
    # ======================================================================

    def test_media_library_get_rename_link_move_unlink_delete(self):
        d1, d2, d3 = self.new_device(), self.new_device(), self.new_device()
        data = png(4321)
        up = self.upload_one(d1["device_id"], "poster.png", data)
        mid = up["id"]
        path = "/api/v1/media/" + mid
        for role in ROLES:
            m = self.assertStatus(self.call("GET", path, token=self.tok("a", role)), 200).json()
            self.assertEqual((m["id"], m["name"], m["kind"], m["size"], m["hash"]),
                             (mid, "poster.png", "image", len(data), sha256(data)))
            for key in ("mime", "metadata", "status", "page_count", "organization_id", "created_at", "updated_at"):
                self.assertIn(key, m)
            self.assertStatus(self.call("GET", path, token=self.tok("b", role)), 404, "not_found")
        self.assertStatus(self.call("GET", "/api/v1/media/" + str(uuid.uuid4()), token=self.tok("a")), 404, "not_found")

        # Rename: the display name; the device keeps its own name for the file.
        self.assertStatus(self.call("PATCH", path, {"name": "x.png"}, token=self.tok("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("PATCH", path, {"name": "x.png"}, token=self.tok("b", "admin")), 404, "not_found")
        self.assertStatus(self.call("PATCH", path, {"name": ""}, token=self.tok("a")), 400, "invalid")
        self.assertStatus(self.call("PATCH", path, {}, token=self.tok("a")), 400, "invalid")
        r = self.assertStatus(self.call("PATCH", path, {"name": "../Renamed.png"}, token=self.tok("a")), 200)
        self.assertEqual(r.json()["name"], "Renamed.png")
        self.assertEqual(self.device_files(d1["device_id"])["poster.png"]["media_name"], "Renamed.png")
        r = self.assertStatus(self.call("GET", "/api/v1/media", token=self.tok("a", "viewer"),
                                        query={"kind": "image", "limit": 200}), 200)
        self.assertIn("Renamed.png", {m["name"] for m in r.json()["items"] if m["id"] == mid})

        # Copy to another device (no bytes copied), under a name of its own or the media's name.
        blobs = self.blob_files()
        link = path + "/devices"
        self.assertStatus(self.call("POST", link, {"device_id": d2["device_id"]}, token=self.tok("a", "viewer")),
                          403, "forbidden")
        self.assertStatus(self.call("POST", link, {"device_id": d2["device_id"]}, token=self.tok("b")),
                          404, "not_found")
        b_dev = self.new_device("b")
        self.assertStatus(self.call("POST", link, {"device_id": b_dev["device_id"]}, token=self.tok("a")),
                          404, "not_found")
        self.assertStatus(self.call("POST", link, {"device_id": unique("nope")}, token=self.tok("a")), 404, "not_found")
        self.assertStatus(self.call("POST", link, {}, token=self.tok("a")), 400, "invalid")
        r = self.assertStatus(self.call("POST", link, {"device_id": d2["device_id"], "name": "copy.png"},
                                        token=self.tok("a")), 201)
        self.assertEqual((r.json()["name"], r.json()["id"]), ("copy.png", mid))
        r = self.assertStatus(self.call("POST", link, {"device_id": d3["device_id"]}, token=self.tok("a")), 201)
        self.assertEqual(r.json()["name"], "Renamed.png")
        self.assertEqual(self.blob_files(), blobs)
        self.assertEqual(self.device_files(d2["device_id"])["copy.png"]["id"], mid)

        # Move between devices.
        move = "/api/v1/devices/%s/media/%s/move" % (d2["device_id"], "copy.png")
        self.assertStatus(self.call("POST", move, {"to_device": d1["device_id"]}, token=self.tok("a", "speaker")),
                          403, "forbidden")
        self.assertStatus(self.call("POST", move, {"to_device": d1["device_id"]}, token=self.tok("b")),
                          404, "not_found")
        self.assertStatus(self.call("POST", move, {"to_device": b_dev["device_id"]}, token=self.tok("a")),
                          404, "not_found")
        self.assertStatus(self.call("POST", move, {}, token=self.tok("a")), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/devices/%s/media/nothing.png/move" % d2["device_id"],
                                    {"to_device": d1["device_id"]}, token=self.tok("a")), 404, "not_found")
        r = self.assertStatus(self.call("POST", move, {"to_device": d1["device_id"]}, token=self.tok("a")), 200)
        self.assertEqual(r.json()["name"], "copy.png")
        self.assertEqual(self.device_files(d2["device_id"]), {})
        self.assertEqual(set(self.device_files(d1["device_id"])), {"poster.png", "copy.png"})

        # Unlink from a device: the media stays.
        unlink = "/api/v1/devices/%s/media/%s" % (d1["device_id"], quote("copy.png"))
        self.assertStatus(self.call("DELETE", unlink, token=self.tok("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", unlink, token=self.tok("b")), 404, "not_found")
        self.assertStatus(self.call("DELETE", unlink, token=self.tok("a")), 204)
        self.assertStatus(self.call("DELETE", unlink, token=self.tok("a")), 404, "not_found")
        self.assertEqual(set(self.device_files(d1["device_id"])), {"poster.png"})
        self.assertStatus(self.call("GET", path, token=self.tok("a")), 200)

        # Delete: off every device, and the bytes with the last reference.
        self.assertStatus(self.call("DELETE", path, token=self.tok("a", "speaker")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", path, token=self.tok("b", "admin")), 404, "not_found")
        self.assertTrue(any(p.endswith(sha256(data)) for p in self.blob_files()))
        self.assertStatus(self.call("DELETE", path, token=self.tok("a")), 204)
        self.assertStatus(self.call("GET", path, token=self.tok("a")), 404, "not_found")
        self.assertStatus(self.call("GET", path + "/content", token=self.tok("a")), 404, "not_found")
        self.assertEqual(self.device_files(d1["device_id"]), {})
        self.assertEqual(self.device_files(d3["device_id"]), {})
        self.assertFalse(any(p.endswith(sha256(data)) for p in self.blob_files()),
                         "bytes kept after the last reference")
        self.assertStatus(self.call("DELETE", path, token=self.tok("a")), 404, "not_found")

    def test_bytes_shared_by_two_media_items_stay_until_the_last_goes(self):
        # Two organisations with the same bytes: deleting one media item keeps the other's bytes.
        data = mp4(3333)
        a = self.upload_one(self.new_device()["device_id"], "shared.mp4", data)
        b = self.upload_one(self.new_device("b")["device_id"], "shared.mp4", data, org="b")
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + a["id"], token=self.tok("a")), 204)
        c = self.assertStatus(self.call("GET", "/api/v1/media/%s/content" % b["id"],
                                        token=self.tok("b", "viewer")), 200)
        self.assertEqual(c.body, data)
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + b["id"], token=self.tok("b")), 204)
        self.assertFalse(any(p.endswith(sha256(data)) for p in self.blob_files()))

    def test_deleting_a_device_removes_media_used_nowhere_else(self):
        d, keep = self.new_device(), self.new_device()
        only = self.upload_one(d["device_id"], "only.png", png())
        shared = self.upload_one(d["device_id"], "shared.png", png())
        self.assertStatus(self.call("POST", "/api/v1/media/%s/devices" % shared["id"], {"device_id": keep["device_id"]},
                                    token=self.tok("a")), 201)
        self.assertStatus(self.call("DELETE", "/api/v1/devices/" + d["device_id"], token=self.tok("a")), 204)
        self.assertStatus(self.call("GET", "/api/v1/media/" + only["id"], token=self.tok("a")), 404, "not_found")
        self.assertFalse(any(p.endswith(only["hash"]) for p in self.blob_files()))
        self.assertStatus(self.call("GET", "/api/v1/media/" + shared["id"], token=self.tok("a")), 200)
        self.assertStatus(self.call("GET", "/api/v1/devices/%s/media" % d["device_id"], token=self.tok("a")),
                          404, "not_found")

    def test_media_lists_page_and_filter_by_kind_per_organisation(self):
        s = self.server
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "Lib", "slug": unique("lib"), "plan": "PRO"},
                                       token=self.super_token), 201).json()
        username = unique("lib-op")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "operator", "organization_id": org["id"]},
                                 token=self.super_token), 201)
        token = s.token(username)["access_token"]
        device_id = unique("lib")
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": device_id}, token=token), 201)
        files = [("p%d.png" % i, png()) for i in range(4)] + [("v%d.mp4" % i, mp4()) for i in range(3)]
        ctype, body = multipart([("files", n, b) for n, b in files])
        self.assertStatus(s.call("POST", "/api/v1/devices/%s/media" % device_id, body, token=token,
                                 headers={"Content-Type": ctype}), 201)
        items, pages = self.collect_pages(s, "/api/v1/media", token, limit=3)
        self.assertEqual((len(items), pages), (7, 3))
        self.assertEqual(len({m["id"] for m in items}), 7)
        images, _ = self.collect_pages(s, "/api/v1/media", token, query={"kind": "image"}, limit=3)
        self.assertEqual(sorted(m["name"] for m in images), ["p0.png", "p1.png", "p2.png", "p3.png"])
        videos, _ = self.collect_pages(s, "/api/v1/media", token, query={"kind": "video"}, limit=2)
        self.assertEqual(len(videos), 3)
        on_device, pages = self.collect_pages(s, "/api/v1/devices/%s/media" % device_id, token, limit=2)
        self.assertEqual((sorted(f["name"] for f in on_device), pages), (sorted(n for n, _ in files), 4))
        self.assertStatus(s.call("GET", "/api/v1/media", token=token, query={"limit": "0"}), 400, "invalid")
        self.assertStatus(s.call("GET", "/api/v1/media"), 401, "unauthenticated")
        # Another organisation sees none of them.
        theirs = {m["id"] for m in self.collect_pages(s, "/api/v1/media", self.tok("b", "viewer"), limit=200)[0]}
        self.assertFalse(theirs & {m["id"] for m in items})

    # ======================================================================
    # serving bytes
    # ======================================================================

    def test_content_ranges_head_and_conditional_requests(self):
        data = png(1000 - 8)
        self.assertEqual(len(data), 1000)
        m = self.upload_one(self.new_device()["device_id"], "range.png", data)
        path = "/api/v1/media/%s/content" % m["id"]
        tok = self.tok("a", "viewer")

        def get(headers=None, method="GET", token=tok):
            return self.call(method, path, token=token, headers=headers)

        full = self.assertStatus(get(), 200)
        self.assertEqual(full.body, data)
        etag = full.headers["etag"]
        self.assertEqual(etag, '"%s"' % sha256(data))
        self.assertEqual(full.headers["accept-ranges"], "bytes")
        self.assertEqual(full.headers["content-type"], "image/png")
        self.assertEqual(full.headers["content-length"], "1000")
        self.assertRegex(full.headers["last-modified"], r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")

        cases = [
            ("bytes=0-0", 0, 0),          # first byte
            ("bytes=999-999", 999, 999),  # last byte
            ("bytes=-10", 990, 999),      # suffix
            ("bytes=990-", 990, 999),     # open
            ("bytes=100-199", 100, 199),
            ("bytes=900-5000", 900, 999),  # past the end: clipped
            ("bytes=-5000", 0, 999),      # suffix longer than the file
        ]
        for spec, first, last in cases:
            r = self.assertStatus(get({"Range": spec}), 206, msg=spec)
            self.assertEqual(r.body, data[first:last + 1], spec)
            self.assertEqual(r.headers["content-range"], "bytes %d-%d/1000" % (first, last), spec)
            self.assertEqual(r.headers["content-length"], str(last - first + 1), spec)
            self.assertEqual(r.headers["etag"], etag)

        for spec in ("bytes=1000-", "bytes=5000-6000", "bytes=-0"):
            r = self.assertStatus(get({"Range": spec}), 416, "range_not_satisfiable", spec)
            self.assertEqual(r.headers["content-range"], "bytes */1000", spec)

        for spec in ("bytes=abc", "bytes=5-2", "items=0-10", "bytes=0-1,5-6", "bytes", "bytes=--1", "bytes=1-2-3"):
            r = self.assertStatus(get({"Range": spec}), 200, msg=spec)
            self.assertEqual(r.body, data, spec)

        head = self.assertStatus(get(method="HEAD"), 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers["content-length"], "1000")
        self.assertEqual(head.headers["etag"], etag)
        head = self.assertStatus(get({"Range": "bytes=10-19"}, method="HEAD"), 206)
        self.assertEqual((head.body, head.headers["content-range"]), (b"", "bytes 10-19/1000"))

        r = self.assertStatus(get({"If-None-Match": etag}), 304)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["etag"], etag)
        self.assertStatus(get({"If-None-Match": '"other", %s' % etag}), 304)
        self.assertStatus(get({"If-None-Match": 'W/%s' % etag}), 304)
        self.assertStatus(get({"If-None-Match": '"other"'}), 200)
        self.assertStatus(get({"If-Modified-Since": full.headers["last-modified"]}), 304)
        self.assertStatus(get({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}), 200)
        self.assertStatus(get({"If-None-Match": etag}, method="HEAD"), 304)
        # If-Range: the range only while the client's copy is current.
        self.assertStatus(get({"Range": "bytes=0-9", "If-Range": etag}), 206)
        r = self.assertStatus(get({"Range": "bytes=0-9", "If-Range": '"stale"'}), 200)
        self.assertEqual(r.body, data)

        # Any role of the organisation may read; nobody else.
        for role in ROLES:
            self.assertStatus(get(token=self.tok("a", role)), 200)
            self.assertStatus(get(token=self.tok("b", role)), 404, "not_found")
            self.assertEqual(get({"Range": "bytes=0-0"}, method="HEAD", token=self.tok("b", role)).status, 404)
        self.assertStatus(get(token=None), 401, "unauthenticated")
        self.assertStatus(self.call("GET", "/api/v1/media/%s/content" % uuid.uuid4(), token=tok), 404, "not_found")

    # ======================================================================
    # placeholders
    # ======================================================================

    def test_placeholder_set_and_clear_and_a_pdf_is_refused_keeping_the_old_one(self):
        d = self.new_device()
        image = self.upload_one(d["device_id"], "idle.png", png())
        video = self.upload_one(d["device_id"], "idle.mp4", mp4())
        deck = self.upload_one(d["device_id"], "deck.pdf", pdf())
        path = "/api/v1/devices/%s/placeholder" % d["device_id"]

        self.assertStatus(self.call("PUT", path, {"media_id": image["id"]}, token=self.tok("a", "speaker")),
                          403, "forbidden")
        self.assertStatus(self.call("PUT", path, {"media_id": image["id"]}, token=self.tok("b", "admin")),
                          404, "not_found")
        self.assertStatus(self.call("PUT", path, {}, token=self.tok("a")), 400, "invalid")
        r = self.assertStatus(self.call("PUT", path, {"media_id": image["id"]}, token=self.tok("a")), 200)
        self.assertEqual(r.json()["placeholder_media_id"], image["id"])

        r = self.assertStatus(self.call("PUT", path, {"media_id": deck["id"]}, token=self.tok("a")), 400, "invalid")
        self.assertIn("image or a video", r.json()["error"]["message"])
        got = self.call("GET", "/api/v1/devices/" + d["device_id"], token=self.tok("a", "viewer")).json()
        self.assertEqual(got["placeholder_media_id"], image["id"], "a refused placeholder replaced the old one")

        other = self.upload_one(self.new_device("b")["device_id"], "theirs.png", png(), org="b")
        self.assertStatus(self.call("PUT", path, {"media_id": other["id"]}, token=self.tok("a")), 404, "not_found")
        self.assertStatus(self.call("PUT", path, {"media_id": str(uuid.uuid4())}, token=self.tok("a")),
                          404, "not_found")
        got = self.call("GET", "/api/v1/devices/" + d["device_id"], token=self.tok("a", "viewer")).json()
        self.assertEqual(got["placeholder_media_id"], image["id"])

        r = self.assertStatus(self.call("PUT", path, {"media_id": video["id"]}, token=self.tok("a")), 200)
        self.assertEqual(r.json()["placeholder_media_id"], video["id"])

        self.assertStatus(self.call("DELETE", path, token=self.tok("a", "viewer")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", path, token=self.tok("b")), 404, "not_found")
        r = self.assertStatus(self.call("DELETE", path, token=self.tok("a")), 200)
        self.assertIsNone(r.json()["placeholder_media_id"])

        # Deleting the media that is the placeholder clears it.
        self.assertStatus(self.call("PUT", path, {"media_id": image["id"]}, token=self.tok("a")), 200)
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + image["id"], token=self.tok("a")), 204)
        got = self.call("GET", "/api/v1/devices/" + d["device_id"], token=self.tok("a", "viewer")).json()
        self.assertIsNone(got["placeholder_media_id"])

    # ======================================================================
    # the tenancy matrix of every route with a device or media in its path
    # ======================================================================

    def test_every_device_and_media_route_is_404_for_other_organisations_and_403_below_its_role(self):
        d = self.new_device()
        other_dev = self.new_device()
        m = self.upload_one(d["device_id"], "matrix.png", png())
        dev, mid = d["device_id"], m["id"]
        ctype, upload_body = multipart([("files", "m.png", png())])
        routes = [
            # method, path template ({d} device, {m} media, {n} file name), body, least role
            ("GET", "/api/v1/devices/{d}", None, "viewer"),
            ("PATCH", "/api/v1/devices/{d}", {"name": dev}, "operator"),
            ("DELETE", "/api/v1/devices/{d}", None, "operator"),
            ("POST", "/api/v1/devices/{d}/credential", None, "operator"),
            ("DELETE", "/api/v1/devices/{d}/credential", None, "operator"),
            ("PUT", "/api/v1/devices/{d}/placeholder", {"media_id": mid}, "operator"),
            ("DELETE", "/api/v1/devices/{d}/placeholder", None, "operator"),
            ("GET", "/api/v1/devices/{d}/media", None, "viewer"),
            ("POST", "/api/v1/devices/{d}/media", upload_body, "operator"),
            ("DELETE", "/api/v1/devices/{d}/media/{n}", None, "operator"),
            ("POST", "/api/v1/devices/{d}/media/{n}/move", {"to_device": other_dev["device_id"]}, "operator"),
            ("GET", "/api/v1/media/{m}", None, "viewer"),
            ("PATCH", "/api/v1/media/{m}", {"name": "matrix.png"}, "operator"),
            ("DELETE", "/api/v1/media/{m}", None, "operator"),
            ("POST", "/api/v1/media/{m}/devices", {"device_id": other_dev["device_id"]}, "operator"),
            ("GET", "/api/v1/media/{m}/content", None, "viewer"),
            ("HEAD", "/api/v1/media/{m}/content", None, "viewer"),
        ]
        failures = []

        def send(method, template, body, token, d_=dev, m_=mid):
            path = template.format(d=quote(d_), m=m_, n="matrix.png")
            headers = {"Content-Type": ctype} if isinstance(body, bytes) else None
            return self.call(method, path, body, token=token, headers=headers)

        for method, template, body, need in routes:
            label = "%s %s" % (method, template)
            r = send(method, template, body, None)
            if r.status != 401:
                failures.append("%s without a token: %r" % (label, r))
            for role in ROLES:
                other = send(method, template, body, self.tok("b", role))
                ghost = send(method, template, body, self.tok("b", role), d_=unique("ghost"), m_=str(uuid.uuid4()))
                if other.status != 404 or (method != "HEAD" and other.code != "not_found"):
                    failures.append("%s as %s of another organisation: %r" % (label, role, other))
                if (other.status, other.code) != (ghost.status, ghost.code):
                    failures.append("%s as %s of another organisation differs from an unknown id: %r vs %r"
                                    % (label, role, other, ghost))
            for role in ROLES[:ROLES.index(need)]:
                r = send(method, template, body, self.tok("a", role))
                if r.status != 403 or (method != "HEAD" and r.code != "forbidden"):
                    failures.append("%s as %s (needs %s): %r" % (label, role, need, r))
            if method in ("GET", "HEAD", "PATCH"):
                r = send(method, template, body, self.tok("a", need))
                if r.status != 200:
                    failures.append("%s as %s: expected 200, got %r" % (label, need, r))
        if failures:
            self.fail("%d expectation(s) failed:\n%s" % (len(failures), "\n".join(failures)))
        # Nothing of A was changed by anyone not allowed to.
        self.assertStatus(self.call("GET", "/api/v1/devices/" + dev, token=self.tok("a")), 200)
        self.assertIn("matrix.png", self.device_files(dev))
        self.assertEqual(self.call("GET", "/api/v1/media/" + mid, token=self.tok("a")).json()["name"], "matrix.png")
        self.wait_tmp_empty()

    # ======================================================================
    # a multi-GiB upload, streamed
    # ======================================================================

    def test_a_multi_gib_upload_streams_with_bounded_server_memory(self):
        total, max_rss_mb, max_seconds = big_upload_settings(api_support.BINARY)
        if total <= 0:
            self.skipTest("VC_BIG_UPLOAD_BYTES=0")
        d = self.new_device()
        pid = self.server.proc.pid
        # Start the peak-RSS count now, so it measures the upload and not the password hashing
        # (argon2id takes tens of MB) of the sign-ins before it (Linux >= 4.0; kept when refused).
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")
        except OSError:
            pass
        boundary = "vcbig" + uuid.uuid4().hex
        head = ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.mp4\"\r\n"
                "Content-Type: video/mp4\r\n\r\n" % boundary).encode()
        tail = ("\r\n--%s--\r\n" % boundary).encode()
        header = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"  # an MP4 file-type box
        chunk = bytes(4 << 20)
        length = len(head) + total + len(tail)

        peak = {"hwm": 0, "rss": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    peak["rss"] = max(peak["rss"], vm_kib(pid, "VmRSS"))
                    peak["hwm"] = max(peak["hwm"], vm_kib(pid, "VmHWM"))
                except OSError:
                    return
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        digest = hashlib.sha256()
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        try:
            conn.putrequest("POST", "/api/v1/devices/%s/media" % d["device_id"])
            conn.putheader("Authorization", "Bearer " + self.tok("a"))
            conn.putheader("Content-Type", "multipart/form-data; boundary=" + boundary)
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            conn.send(head)
            conn.send(header)
            digest.update(header)
            left = total - len(header)
            while left > 0:
                piece = chunk if left >= len(chunk) else chunk[:left]
                conn.send(piece)
                digest.update(piece)
                left -= len(piece)
            conn.send(tail)
            resp = conn.getresponse()
            reply = Reply("POST", "big upload", resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()
            elapsed = time.monotonic() - started
            stop.set()
            sampler.join()
        peak["hwm"] = max(peak["hwm"], vm_kib(pid, "VmHWM"))
        sys.stderr.write("\n  big upload: %d bytes in %.1f s (%.0f MB/s), server VmHWM %.1f MB, peak VmRSS %.1f MB\n"
                         % (total, elapsed, total / elapsed / 1e6, peak["hwm"] / 1024, peak["rss"] / 1024))
        self.assertStatus(reply, 201)
        item = reply.json()["items"][0]
        self.assertEqual((item["name"], item["kind"], item["size"]), ("big.mp4", "video", total))
        self.assertEqual(item["hash"], digest.hexdigest())
        self.assertLess(peak["hwm"] / 1024, max_rss_mb, "server peak RSS (VmHWM) not bounded")
        self.assertLess(elapsed, max_seconds, "the upload took too long")
        self.wait_tmp_empty()

        # Serving it: a range near the end, without reading the file into memory.
        r = self.assertStatus(self.call("GET", "/api/v1/media/%s/content" % item["id"], token=self.tok("a", "viewer"),
                                        headers={"Range": "bytes=-16"}), 206)
        self.assertEqual(r.body, bytes(16))
        self.assertEqual(r.headers["content-range"], "bytes %d-%d/%d" % (total - 16, total - 1, total))
        r = self.assertStatus(self.call("GET", "/api/v1/media/%s/content" % item["id"], token=self.tok("a", "viewer"),
                                        headers={"Range": "bytes=0-31"}), 206)
        self.assertEqual(r.body, header[:32])
        self.assertLess(vm_kib(pid, "VmHWM") / 1024, max_rss_mb)
        # Free the disk space.
        self.assertStatus(self.call("DELETE", "/api/v1/media/" + item["id"], token=self.tok("a")), 204)
        self.assertFalse(any(p.endswith(item["hash"]) for p in self.blob_files()))


class UploadLimitTest(ApiTestCase):
    """A server of its own with a small per-file limit (MAX_UPLOAD_BYTES)."""

    @classmethod
    def setUpClass(cls):
        env = dict(QUIET_ENV, MAX_UPLOAD_BYTES="65536")
        cls.server = Server(env=env)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_a_file_over_max_upload_bytes_is_413_and_leaves_nothing(self):
        s = self.server
        token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "Lim", "slug": unique("lim"), "plan": "PRO"}, token=token), 201).json()
        username = unique("lim-op")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                           "role": "operator", "organization_id": org["id"]},
                                 token=token), 201)
        op = s.token(username)["access_token"]
        device_id = unique("lim")
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": device_id}, token=op), 201)
        path = "/api/v1/devices/%s/media" % device_id

        ctype, body = multipart([("files", "fits.png", png(65536 - 8))])
        self.assertStatus(s.call("POST", path, body, token=op, headers={"Content-Type": ctype}), 201)
        ctype, body = multipart([("files", "small.png", png(100)), ("files", "big.mp4", mp4(200000))])
        r = self.assertStatus(s.call("POST", path, body, token=op, headers={"Content-Type": ctype}), 413, "too_large")
        self.assertIn("big.mp4", r.json()["error"]["message"])
        items = self.assertStatus(s.call("GET", path, token=op), 200).json()["items"]
        self.assertEqual([f["name"] for f in items], ["fits.png"])
        tmp = os.path.join(s.data_dir, "content", "tmp")
        deadline = time.monotonic() + 10
        while os.listdir(tmp) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    api_support.run_main()
