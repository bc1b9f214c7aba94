#!/usr/bin/python3
"""BLOB_STORE=s3: media bytes in an S3-compatible bucket (issue 15, part 5).

Starts s3rver (npm, tests/js) on loopback and real servers on it: uploads land in the bucket (large
ones as multipart uploads, with the server's memory bounded by one part), identical bytes are one
object, deleting the last reference deletes the object; downloads are redirected to pre-signed URLs
that s3rver serves (or, with S3_DELIVERY=proxy, served from the local cache with Range, fetched back
after eviction); the content pipeline processes media whose bytes live in the bucket; a bucket that
is down refuses uploads with a clear 503 and loses nothing, and readiness follows it.
s3rver does not check Signature V4 itself: the signing is tested against AWS's published examples
in tests/unit/s3_test.cpp.
"""
import glob
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ApiTestCase, Server, free_port, unique  # noqa: E402
from test_media import multipart, vm_kib  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
S3RVER = os.path.join(ROOT, "tests", "js", "node_modules", ".bin", "s3rver")
PART = 5 * 1024 * 1024


class S3rver:
    """s3rver on 127.0.0.1 with bucket `vc`, its objects under self.dir/vc/."""

    def __init__(self, port=None, data_dir=None):
        if not os.path.exists(S3RVER):
            raise AssertionError("s3rver is missing: run `npm ci --prefix tests/js` (scripts/test.sh does)")
        self.dir = data_dir or tempfile.mkdtemp(prefix="vc-s3rver-")
        self.port = port or free_port()
        self.log = open(os.path.join(self.dir, "s3rver.log"), "ab")
        self.proc = subprocess.Popen([S3RVER, "-d", self.dir, "-a", "127.0.0.1", "-p", str(self.port),
                                      "--configure-bucket", "vc"], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("s3rver exited: %s" % open(os.path.join(self.dir, "s3rver.log")).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("s3rver did not start")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def objects(self, prefix="blobs/"):
        """Keys of the objects s3rver holds (its filesystem store: <key>._S3rver_object)."""
        base = os.path.join(self.dir, "vc")
        out = []
        for p in glob.glob(os.path.join(base, "**", "*._S3rver_object"), recursive=True):
            key = os.path.relpath(p, base)[: -len("._S3rver_object")]
            if key.startswith(prefix):
                out.append(key)
        return sorted(out)


def env_for(s3, **extra):
    env = {"BLOB_STORE": "s3", "S3_ENDPOINT": "http://127.0.0.1:%d" % s3.port, "S3_BUCKET": "vc",
           "S3_ACCESS_KEY_ID": "S3RVER", "S3_SECRET_ACCESS_KEY": "S3RVER", "S3_PART_BYTES": str(PART),
           "RATE_LIMIT_PER_MINUTE": "100000", "PROCESSING_WORKERS": "1"}
    env.update(extra)
    return env


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def fetch(url, headers=None):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", u.path + ("?" + u.query if u.query else ""), headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def sanitized(pid):
    """Whether the process runs with AddressSanitizer (its runtime is mapped)."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def ffmpeg_png(path, size="320x240", color="red"):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=%s:s=%s" % (color, size),
                    "-frames:v", "1", path], check=True, timeout=60)
    with open(path, "rb") as f:
        return f.read()


class Tenant:
    def __init__(self, test, server):
        admin = server.token("admin", api_support.ADMIN_PASSWORD)["access_token"]
        slug = unique("s3")
        org = test.assertStatus(server.call("POST", "/api/v1/organizations", {"name": slug, "slug": slug, "plan": "PRO"},
                                            token=admin), 201).json()["id"]
        test.assertStatus(server.call("POST", "/api/v1/users", {"username": slug + "_op", "password": api_support.USER_PASSWORD,
                                                               "role": "operator", "organization_id": org}, token=admin), 201)
        self.server, self.test, self.slug = server, test, slug
        self.token = server.token(slug + "_op")["access_token"]
        self.device = slug + "-tv"
        test.assertStatus(server.call("POST", "/api/v1/devices", {"device_id": self.device, "name": "tv"}, token=self.token), 201)

    def upload(self, name, data, expect=201):
        ctype, body = multipart([("files", name, data)])
        r = self.server.call("POST", "/api/v1/devices/%s/media" % self.device, body, token=self.token,
                             headers={"Content-Type": ctype})
        self.test.assertStatus(r, expect)
        return r.json()["items"][0] if expect == 201 else r

    def content(self, media_id, headers=None):
        h = {"Authorization": "Bearer " + self.token}
        h.update(headers or {})
        return fetch("http://127.0.0.1:%d/api/v1/media/%s/content" % (self.server.port, media_id), h)


class BucketSuite(ApiTestCase):
    """One s3rver and one server on it per class; `server_env` adds settings."""
    server_env = {}

    @classmethod
    def setUpClass(cls):
        cls.s3 = S3rver()
        cls.tmp = tempfile.mkdtemp(prefix="vc-s3-fixtures-")
        try:
            cls.server = Server(env=env_for(cls.s3, **cls.server_env))
        except BaseException:
            cls.s3.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.s3.stop()
        shutil.rmtree(cls.s3.dir, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)


class ObjectStorage(BucketSuite):

    def test_1_upload_redirect_dedup_delete(self):
        t = Tenant(self, self.server)
        data = ffmpeg_png(os.path.join(self.tmp, "poster.png"))
        m = t.upload("poster.png", data)
        key = "blobs/%s/%s" % (sha256(data)[:2], sha256(data))
        self.assertIn(key, self.s3.objects())
        # The library's download and the players' route: 307 to a pre-signed URL s3rver serves.
        for url, h in (("/api/v1/media/%s/content" % m["id"], {"Authorization": "Bearer " + t.token}),
                       ("/content/%s/poster.png" % t.device, {})):
            status, headers, body = fetch("http://127.0.0.1:%d%s" % (self.server.port, url), h)
            self.assertEqual(status, 307, (url, headers, body))
            self.assertEqual(body, b"")
            self.assertEqual(headers.get("cache-control"), "no-store")
            loc = headers["location"]
            self.assertTrue(loc.startswith("http://127.0.0.1:%d/vc/%s?" % (self.s3.port, key)), loc)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
            self.assertEqual(q["X-Amz-Algorithm"], ["AWS4-HMAC-SHA256"])
            self.assertEqual(q["X-Amz-Expires"], ["300"])
            self.assertEqual(q["X-Amz-SignedHeaders"], ["host"])
            self.assertEqual(len(q["X-Amz-Signature"][0]), 64)
            self.assertNotIn("S3RVER", q["X-Amz-Signature"][0])
            status, headers, body = fetch(loc)
            self.assertEqual(status, 200)
            self.assertEqual(body, data)
            self.assertEqual(headers.get("content-type"), "image/png")
            status, headers, body = fetch(loc, {"Range": "bytes=10-19"})
            self.assertEqual((status, body), (206, data[10:20]))
        # The same bytes on another device of another organisation: one object, two references.
        t2 = Tenant(self, self.server)
        m2 = t2.upload("copy.png", data)
        self.assertEqual(self.s3.objects().count(key), 1)
        # Deleting one reference keeps the object; deleting the last deletes it.
        self.assertStatus(self.server.call("DELETE", "/api/v1/media/%s" % m["id"], token=t.token), 204)
        self.assertIn(key, self.s3.objects())
        self.assertStatus(self.server.call("DELETE", "/api/v1/media/%s" % m2["id"], token=t2.token), 204)
        self.assertNotIn(key, self.s3.objects())

    def test_2_large_upload_is_multipart_with_bounded_memory(self):
        t = Tenant(self, self.server)
        size = 48 * 1024 * 1024 + 12345
        data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(size - 24)
        pid = self.server.proc.pid
        before = vm_kib(pid, "VmRSS")
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # resets the peak (VmHWM) to the current RSS
        m = t.upload("big.mp4", data)
        after = vm_kib(pid, "VmRSS")
        peak = vm_kib(pid, "VmHWM")
        key = "blobs/%s/%s" % (sha256(data)[:2], sha256(data))
        self.assertIn(key, self.s3.objects())
        sys.stderr.write("\n  [s3] 48 MiB upload: server RSS %d -> %d KiB (peak %d KiB), parts of %d MiB\n"
                         % (before, after, peak, PART >> 20))
        # A part (5 MiB) and its copy in the request in memory, not the file (48 MiB). Not under
        # AddressSanitizer, whose quarantine keeps freed memory resident on purpose.
        if not sanitized(pid):
            self.assertLess(peak - before, 32 * 1024, "RSS peaked %d KiB above its start for a 48 MiB upload" % (peak - before))
        status, headers, _ = t.content(m["id"])
        self.assertEqual(status, 307)
        status, _, body = fetch(headers["location"])
        self.assertEqual(status, 200)
        self.assertEqual(len(body), size)
        self.assertEqual(sha256(body), sha256(data))
        # Sent as 10 parts of 5 MiB (s3rver logs each request).
        with open(os.path.join(self.s3.dir, "s3rver.log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        parts = set(int(n) for n in re.findall(r"Stored part (\d+) of ", log))
        self.assertEqual(parts, set(range(1, 11)), log[-3000:])
        self.assertIn('Stored object "%s"' % key, log)

    def test_3_pipeline_processes_media_from_the_bucket(self):
        t = Tenant(self, self.server)
        video = os.path.join(self.tmp, "clip.mp4")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=10",
                        "-pix_fmt", "yuv420p", video], check=True, timeout=120)
        with open(video, "rb") as f:
            data = f.read()
        m = t.upload("clip.mp4", data)
        # The processing worker (ffprobe, ffmpeg) reads the local copy the upload left in the cache
        # (fetching objects back into the cache is ProxyDelivery's test).
        cache = os.path.join(self.server.data_dir, "content", "s3", "blobs", sha256(data)[:2], sha256(data))
        deadline = time.time() + 90
        while time.time() < deadline:
            got = self.assertStatus(self.server.call("GET", "/api/v1/media/%s" % m["id"], token=t.token), 200).json()
            if got["status"] != "processing":
                break
            time.sleep(0.3)
        self.assertEqual(got["status"], "ready", got)
        self.assertEqual(round(got["metadata"]["duration"]), 2, got)
        self.assertTrue(os.path.exists(cache))
        status, headers, body = fetch("http://127.0.0.1:%d/api/v1/devices/%s/media/clip.mp4/thumbnail" % (self.server.port, t.device),
                                      {"Authorization": "Bearer " + t.token})
        self.assertEqual(status, 200, headers)
        self.assertTrue(body.startswith(b"\xff\xd8"), body[:8])

    def test_4_bucket_down_refuses_uploads_and_loses_nothing(self):
        t = Tenant(self, self.server)
        before = self.assertStatus(self.server.call("GET", "/api/v1/media", token=t.token), 200).json()["items"]
        self.s3.stop()
        try:
            r = t.upload("lost.png", ffmpeg_png(os.path.join(self.tmp, "lost.png"), color="blue"), expect=503)
            self.assertEqual(r.json()["error"]["code"], "unavailable", r)
            self.assertIn("object store", r.json()["error"]["message"], r)
            # Reported to operators; readiness itself stays (downloads are the store's to serve).
            ready = self.server.call("GET", "/readyz")
            self.assertEqual(ready.json()["checks"]["content"],
                             "unavailable: cannot store uploads (the object store does not answer)", ready)
        finally:
            self.s3 = type(self).s3 = S3rver(port=self.s3.port, data_dir=self.s3.dir)
        after = self.assertStatus(self.server.call("GET", "/api/v1/media", token=t.token), 200).json()["items"]
        self.assertEqual(after, before)
        # The content check comes back by itself, and so do uploads.
        content = lambda: self.server.call("GET", "/readyz").json()["checks"]["content"]  # noqa: E731
        deadline = time.time() + 10
        while content() != "ok" and time.time() < deadline:
            time.sleep(0.3)
        self.assertEqual(content(), "ok")
        t.upload("back.png", ffmpeg_png(os.path.join(self.tmp, "back.png"), color="green"))


def vcctl(env, *args):
    """vcctl (VC_VCCTL, else next to the server binary) with only `env` and the sanitizers' options."""
    exe = os.environ.get("VC_VCCTL") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(api_support.BINARY))),
                                                     "cli", "vcctl")
    full = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tempfile.gettempdir(), **env}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB"):
        if k in os.environ:
            full[k] = os.environ[k]
    p = subprocess.run([exe, *args], capture_output=True, env=full, timeout=300, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


class BackupRestore(ApiTestCase):
    """vcctl backup reads the bytes from the bucket (through the cache, checked); vcctl restore into
    another installation on the bucket sends them to its prefix before writing the database."""

    def test_backup_from_and_restore_into_the_bucket(self):
        s3 = S3rver()
        tmp = tempfile.mkdtemp(prefix="vc-s3-backup-")
        source = None
        try:
            source = Server(env=env_for(s3))
            t = Tenant(self, source)
            data = ffmpeg_png(os.path.join(tmp, "a.png"), color="yellow")
            t.upload("a.png", data)
            # Not in the local cache: the backup has to fetch the object.
            cached = os.path.join(source.data_dir, "content", "s3", "blobs", sha256(data)[:2], sha256(data))
            os.unlink(cached)
            archive = os.path.join(tmp, "vc.tar")
            src_env = {k: v for k, v in source.env.items() if k.startswith(("S3_", "BLOB_STORE", "DATA_DIR", "DATABASE_URL"))}
            rc, out = vcctl(src_env, "backup", "--to", archive)
            self.assertEqual(rc, 0, out)
            with tarfile.open(archive) as tar:
                self.assertIn("blobs/" + sha256(data), tar.getnames())
                self.assertEqual(tar.extractfile("blobs/" + sha256(data)).read(), data)
            # Into a new installation whose objects go under restored/.
            target_dir = os.path.join(tmp, "target")
            dst_env = dict(src_env, DATA_DIR=target_dir, S3_PREFIX="restored/")
            dst_env.pop("DATABASE_URL", None)
            rc, out = vcctl(dst_env, "restore", archive)
            self.assertEqual(rc, 0, out)
            self.assertIn("restored/%s/%s" % (sha256(data)[:2], sha256(data)), s3.objects("restored/"))
            restored = Server(env=dict(env_for(s3, S3_PREFIX="restored/"), DATA_DIR=target_dir))
            try:
                status, headers, _ = fetch("http://127.0.0.1:%d/content/%s/a.png" % (restored.port, t.device))
                self.assertEqual(status, 307, headers)
                self.assertIn("/vc/restored/", headers["location"])
                status, _, body = fetch(headers["location"])
                self.assertEqual((status, body), (200, data))
            finally:
                restored.cleanup()
        finally:
            if source:
                source.cleanup()
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)


class ProxyDelivery(BucketSuite):
    """S3_DELIVERY=proxy: the bytes pass through the server from its cache, with Range; an object
    evicted from the cache (S3_CACHE_BYTES) is fetched back from the bucket and checked."""
    # No processing workers: the pipeline reading an upload would make it the most recently used
    # entry of the cache, and which one is evicted would depend on its timing.
    server_env = {"S3_DELIVERY": "proxy", "S3_CACHE_BYTES": str(3 * 1024 * 1024), "S3_PREFIX": "media/",
                  "PROCESSING_WORKERS": "0"}

    def test_proxy_with_range_and_eviction(self):
        t = Tenant(self, self.server)
        one = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024)
        two = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024)
        m1 = t.upload("one.png", one)
        self.assertEqual(self.s3.objects("media/"), sorted("media/%s/%s" % (sha256(b)[:2], sha256(b)) for b in [one]))
        m2 = t.upload("two.png", two)
        cache = os.path.join(self.server.data_dir, "content", "s3", "blobs")
        cached = lambda: sorted(os.path.basename(p) for p in glob.glob(os.path.join(cache, "*", "*")))  # noqa: E731
        # 4 MiB in a 3 MiB cache: the older one went.
        self.assertEqual(cached(), [sha256(two)])
        status, headers, body = t.content(m1["id"])
        self.assertEqual(status, 200, headers)
        self.assertEqual(body, one)
        self.assertEqual(cached(), [sha256(one)])
        status, headers, body = t.content(m2["id"], {"Range": "bytes=100-199"})
        self.assertEqual((status, body), (206, two[100:200]))
        status, headers, body = fetch("http://127.0.0.1:%d/content/%s/two.png" % (self.server.port, t.device),
                                      {"Range": "bytes=-10"})
        self.assertEqual((status, body), (206, two[-10:]))


class Startup(ApiTestCase):
    def test_unreachable_bucket_and_missing_settings_are_clear_errors(self):
        data_dir = tempfile.mkdtemp(prefix="vc-s3-start-")
        try:
            base = {"PATH": "/usr/bin:/bin", "HOME": data_dir, "DATA_DIR": data_dir, "HOST": "127.0.0.1", "PORT": "0",
                    "ADMIN_PASSWORD": api_support.ADMIN_PASSWORD}
            cases = [
                ({"BLOB_STORE": "s3", "S3_BUCKET": "vc", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "b"},
                 "BLOB_STORE=s3: S3_ENDPOINT is not set"),
                ({"BLOB_STORE": "s3", "S3_ENDPOINT": "http://127.0.0.1:%d" % free_port(), "S3_BUCKET": "vc",
                  "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "b"}, "cannot reach the object store"),
                ({"BLOB_STORE": "s3", "S3_ENDPOINT": "ftp://x", "S3_BUCKET": "vc"}, "S3_ENDPOINT"),
                ({"BLOB_STORE": "tape"}, "BLOB_STORE"),
            ]
            for env, message in cases:
                p = subprocess.run([api_support.BINARY], env={**base, **env}, cwd=data_dir, capture_output=True,
                                   timeout=120)
                out = (p.stdout + p.stderr).decode("utf-8", "replace")
                self.assertNotEqual(p.returncode, 0, out)
                self.assertIn(message, out)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    api_support.run_main()
