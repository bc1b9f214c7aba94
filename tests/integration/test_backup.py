#!/usr/bin/python3
"""Issue 15: `vcctl backup` / `vcctl restore` with the real binaries. Round trips SQLite→SQLite,
SQLite→PostgreSQL and PostgreSQL→SQLite (API-visible data and blob bytes compared), a backup taken
while a client creates devices and uploads media (the restore is a consistent prefix), a truncated
archive and a flipped byte (refused, target untouched), an incremental backup (small, restores with
its base), and an organisation's backup.

PostgreSQL: VC_TEST_POSTGRES_URL (a server's …/postgres URL), else a throwaway server started here
with scripts/pg_test_server.sh on a free port; without PostgreSQL binaries those cases are skipped.

Run: test_backup.py --binary path/to/videocontrol-server (vcctl from VC_VCCTL or next to it).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import zlib
import struct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, ApiTestCase, Server, free_port  # noqa: E402
from test_media import multipart  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VCCTL = None
PG_URL = None
PG_DIR = None


def vcctl(*args, check=True):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": tempfile.gettempdir()}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([VCCTL, *args], capture_output=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise AssertionError("vcctl %s -> %d\n%s\n%s" % (" ".join(args), p.returncode, out, err))
    return p.returncode, out, err


def png(width, height, noise=True):
    """A valid PNG: random pixels (incompressible, like media) or a flat colour."""
    rows = b"".join(b"\x00" + (os.urandom(width * 3) if noise else b"\x80" * (width * 3)) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0 if noise else 6)) + chunk(b"IEND", b""))


def new_pg_database():
    db = "vcb_%d_%s" % (os.getpid(), uuid.uuid4().hex[:10])
    subprocess.run(["psql", PG_URL, "-qAtc", "CREATE DATABASE %s" % db], check=True, stdout=subprocess.DEVNULL, timeout=60)
    return PG_URL.rsplit("/", 1)[0] + "/" + db


class Target:
    """An installation folder (and database) to restore into."""

    def __init__(self, backend):
        self.data_dir = tempfile.mkdtemp(prefix="vc-restore-")
        self.database_url = new_pg_database() if backend == "postgresql" else None

    def args(self):
        a = ["--data-dir", self.data_dir]
        if self.database_url:
            a += ["--database-url", self.database_url]
        return a

    def server(self):
        env = {"DATA_DIR": self.data_dir}
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return Server(env)

    def cleanup(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)


def source_args(server):
    a = ["--data-dir", server.env["DATA_DIR"]]
    if "DATABASE_URL" in server.env:
        a += ["--database-url", server.env["DATABASE_URL"]]
    return a


class BackupTest(ApiTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vc-backup-test-")
        self.cleanups = []

    def tearDown(self):
        for c in reversed(self.cleanups):
            c()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers -------------------------------------------------------------
    def start(self, backend):
        # The write-load test uploads as fast as it can: more than the default 600 requests a minute.
        env = {"RATE_LIMIT_PER_MINUTE": "1000000"}
        if backend == "postgresql":
            if not PG_URL:
                self.skipTest("no PostgreSQL")
            env["DATABASE_URL"] = new_pg_database()
        s = Server(env)
        self.cleanups.append(s.cleanup)
        return s

    def target(self, backend):
        if backend == "postgresql" and not PG_URL:
            self.skipTest("no PostgreSQL")
        t = Target(backend)
        self.cleanups.append(t.cleanup)
        return t

    def token(self, server):
        return server.token("admin", ADMIN_PASSWORD)["access_token"]

    def upload(self, server, tok, device, name, data):
        ctype, body = multipart([("files", name, data)])
        r = server.call("POST", "/api/v1/devices/%s/media" % device, body, token=tok, headers={"Content-Type": ctype})
        self.assertStatus(r, 201)
        return r.json()["items"][0]

    def populate(self, server):
        tok = self.token(server)
        for d in ("lobby", "hall"):
            self.assertStatus(server.call("POST", "/api/v1/devices", {"device_id": d, "name": d.title()}, token=tok), 201)
        self.upload(server, tok, "lobby", "big.png", png(1024, 1024))
        same = png(64, 48, noise=False)
        self.upload(server, tok, "lobby", "Привет.png", same)
        self.upload(server, tok, "hall", "note.png", same)  # the same bytes: one blob
        self.assertStatus(server.call("POST", "/api/v1/organizations", {"name": "Other", "slug": "other"}, token=tok), 201)
        self.wait_processed(server, tok)
        return tok

    def wait_processed(self, server, tok):
        """Until the pipeline has made the thumbnails (so the data compared does not move meanwhile)."""
        deadline = time.monotonic() + 60
        while True:
            items, _ = self.collect_pages(server, "/api/v1/media", tok, limit=200)
            if all(m["status"] not in ("queued", "processing") for m in items):
                return
            self.assertLess(time.monotonic(), deadline, "media still processing: %r" % items)
            time.sleep(0.2)

    def snapshot(self, server):
        """What the API shows, and every media item's bytes (by hash, read from the content folder)."""
        tok = self.token(server)
        out = {}
        for path, key in (("/api/v1/devices", "device_id"), ("/api/v1/media", "id"), ("/api/v1/users", "username"),
                          ("/api/v1/organizations", "slug")):
            items, _ = self.collect_pages(server, path, tok, limit=200)
            for it in items:  # what moves by itself
                for volatile in ("status", "online", "last_seen_at", "now_playing"):
                    it.pop(volatile, None)
            out[path] = sorted(items, key=lambda x: x[key])
        blobs = {}
        for m in out["/api/v1/media"]:
            h = m.get("hash") or m.get("blob_hash") or m.get("sha256")
            self.assertTrue(h, repr(m))
            with open(os.path.join(server.env["DATA_DIR"], "content", "blobs", h[:2], h), "rb") as f:
                data = f.read()
            self.assertEqual(hashlib.sha256(data).hexdigest(), h)
            blobs[h] = len(data)
        out["blobs"] = blobs
        return out

    def backup(self, server, archive, *extra):
        rc, out, err = vcctl("--json", *source_args(server), "backup", "--to", archive, *extra)
        return json.loads(out)

    def round_trip(self, src_backend, dst_backend):
        src = self.start(src_backend)
        self.populate(src)
        before = self.snapshot(src)
        archive = os.path.join(self.tmp, "full.vcbak")
        rep = self.backup(src, archive)
        self.assertEqual(rep["backend"], src_backend)
        self.assertEqual(rep["blobs"], 2)
        self.assertEqual(rep["missing"], 0)
        # `restore --check` verifies without a target
        rc, out, err = vcctl("--json", "restore", "--check", archive)
        self.assertTrue(json.loads(out)["verified_only"])
        t = self.target(dst_backend)
        vcctl("--json", *t.args(), "restore", archive)
        dst = t.server()
        self.cleanups.append(dst.cleanup)
        self.assertEqual(self.snapshot(dst), before)
        # the restored installation works: a new device, a new upload
        tok = self.token(dst)
        self.assertStatus(dst.call("POST", "/api/v1/devices", {"device_id": "after", "name": "After"}, token=tok), 201)
        self.upload(dst, tok, "after", "after.png", png(16, 16))
        # the audit log goes on from the restored entries
        self.assertStatus(dst.call("GET", "/api/v1/audit", token=tok), 200)

    # -- tests ---------------------------------------------------------------
    def test_sqlite_to_sqlite(self):
        self.round_trip("sqlite", "sqlite")

    def test_sqlite_to_postgresql(self):
        self.round_trip("sqlite", "postgresql")

    def test_postgresql_to_sqlite(self):
        self.round_trip("postgresql", "sqlite")

    def test_backup_under_write_load_restores_a_consistent_prefix(self):
        for backend in ("sqlite", "postgresql"):
            with self.subTest(backend=backend):
                if backend == "postgresql" and not PG_URL:
                    continue
                self.under_load(backend)

    def under_load(self, backend):
        src = self.start(backend)
        tok = self.populate(src)
        created, stop, errors = [], threading.Event(), []

        def writer():
            i = 0
            try:
                while not stop.is_set():
                    d = "load-%04d" % i
                    r = src.call("POST", "/api/v1/devices", {"device_id": d, "name": d}, token=tok)
                    if r.status != 201:
                        raise AssertionError(repr(r))
                    self.upload(src, tok, d, "f.png", png(64, 64))
                    created.append(d)
                    i += 1
            except BaseException as e:  # noqa: B902
                errors.append(e)

        th = threading.Thread(target=writer)
        th.start()
        time.sleep(1.0)
        archive = os.path.join(self.tmp, "load.vcbak")
        try:
            rep = self.backup(src, archive)
        finally:
            time.sleep(0.5)
            stop.set()
            th.join(60)
        self.assertFalse(errors, repr(errors))
        self.assertGreater(len(created), 3)
        t = self.target("sqlite")
        vcctl(*t.args(), "restore", archive)
        dst = t.server()
        self.cleanups.append(dst.cleanup)
        snap = self.snapshot(dst)  # every media row has its bytes
        restored = sorted(d["device_id"] for d in snap["/api/v1/devices"] if d["device_id"].startswith("load-"))
        # a prefix of what the writer created, in order (a device may be restored without its upload)
        self.assertEqual(restored, ["load-%04d" % i for i in range(len(restored))])
        self.assertLessEqual(len(restored), len(created) + 1)
        self.assertGreater(len(restored), 0)
        self.assertEqual(rep["missing"], 0)

    def test_truncated_or_flipped_archive_is_refused_and_target_untouched(self):
        src = self.start("sqlite")
        self.populate(src)
        archive = os.path.join(self.tmp, "full.vcbak")
        self.backup(src, archive)
        with open(archive, "rb") as f:
            data = f.read()
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x20  # inside the 3 MiB blob
        cases = {"truncated": data[: len(data) * 2 // 3], "no end": data[: len(data) - 1600], "flipped": bytes(flipped)}
        for what, bad in cases.items():
            with self.subTest(what):
                path = os.path.join(self.tmp, "bad.vcbak")
                with open(path, "wb") as f:
                    f.write(bad)
                t = self.target("sqlite")
                rc, out, err = vcctl(*t.args(), "restore", path, check=False)
                self.assertEqual(rc, 2, err)
                self.assertIn("damaged or incomplete", err)
                self.assertIn("nothing was restored", err)
                self.assertEqual(os.listdir(t.data_dir), [], "the target was touched")
                rc, out, err = vcctl("restore", "--check", path, check=False)
                self.assertEqual(rc, 2, err)

    def test_non_empty_target_is_refused(self):
        src = self.start("sqlite")
        self.populate(src)
        archive = os.path.join(self.tmp, "full.vcbak")
        self.backup(src, archive)
        rc, out, err = vcctl(*source_args(src), "restore", archive, check=False)
        self.assertEqual(rc, 5, err)
        self.assertIn("not empty", err)

    def test_incremental_backup_copies_only_new_blobs(self):
        src = self.start("sqlite")
        tok = self.populate(src)
        full = os.path.join(self.tmp, "full.vcbak")
        first = self.backup(src, full)
        self.upload(src, tok, "hall", "small.png", png(32, 32))
        self.wait_processed(src, tok)
        before = self.snapshot(src)
        inc = os.path.join(self.tmp, "inc.vcbak")
        second = self.backup(src, inc, "--incremental-from", full)
        self.assertEqual(second["base_id"], first["id"])
        self.assertEqual(second["blobs_copied"], 1)
        self.assertLess(second["archive_bytes"], first["archive_bytes"] // 4)
        t = self.target("sqlite")
        rc, out, err = vcctl(*t.args(), "restore", inc, check=False)
        self.assertEqual(rc, 2, err)
        self.assertIn("--base", err)
        self.assertEqual(os.listdir(t.data_dir), [])
        vcctl(*t.args(), "restore", inc, "--base", full)
        dst = t.server()
        self.cleanups.append(dst.cleanup)
        self.assertEqual(self.snapshot(dst), before)

    def test_organization_backup(self):
        src = self.start("sqlite")
        tok = self.populate(src)
        media = self.snapshot(src)["/api/v1/media"]
        archive = os.path.join(self.tmp, "org.vcbak")
        rc, out, err = vcctl("--json", *source_args(src), "--organization", "default", "backup", "--to", archive)
        t = self.target("sqlite")
        vcctl(*t.args(), "restore", archive)
        dst = t.server()
        self.cleanups.append(dst.cleanup)
        snap = self.snapshot(dst)
        self.assertEqual([o["slug"] for o in snap["/api/v1/organizations"]], ["default"])
        self.assertEqual(snap["/api/v1/media"], media)


def main():
    global VCCTL, PG_URL, PG_DIR
    VCCTL = os.environ.get("VC_VCCTL")
    binary = os.environ.get("VC_SERVER_BINARY")
    for i, a in enumerate(sys.argv):
        if a == "--binary" and i + 1 < len(sys.argv):
            binary = sys.argv[i + 1]
    if not VCCTL and binary:
        VCCTL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "cli", "vcctl")
    PG_URL = os.environ.get("VC_TEST_POSTGRES_URL")
    if not PG_URL and shutil.which("psql") and os.environ.get("VC_BACKUP_START_POSTGRES", "1") == "1":
        PG_DIR = tempfile.mkdtemp(prefix="vc-backup-pg-")
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg_test_server.sh"), "start", PG_DIR, str(free_port())],
                           capture_output=True, timeout=120)
        if p.returncode == 0:
            PG_URL = p.stdout.decode().strip().splitlines()[-1]
        else:
            sys.stderr.write("no PostgreSQL for the cross-backend cases: %s\n" % p.stderr.decode(errors="replace"))
    # The source servers' DATABASE_URL is chosen per test here, not from VC_TEST_POSTGRES_URL.
    os.environ.pop("VC_TEST_POSTGRES_URL", None)
    try:
        api_support.run_main()
    finally:
        if PG_DIR:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg_test_server.sh"), "stop", PG_DIR], timeout=60)


if __name__ == "__main__":
    main()
