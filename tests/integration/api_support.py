#!/usr/bin/python3
"""Helpers for integration tests of the /api/v1 routes: start the real server binary in a temporary
DATA_DIR on a free 127.0.0.1 port, call it with JSON, and assert on answers.

Only the Python 3 standard library; run under /usr/bin/python3. A test file imports this module and
ends with `api_support.run_main()`, which takes `--binary PATH` (or VC_SERVER_BINARY).
"""

import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

BINARY = None  # set by run_main()

ADMIN_PASSWORD = "Api-Test-Admin-Pw-1"  # the superadmin 'admin' of every server started here
USER_PASSWORD = "user-Password-42"

STARTUP_TIMEOUT = float(os.environ.get("VC_STARTUP_TIMEOUT", "20"))
EXIT_TIMEOUT = 15.0
SOCKET_TIMEOUT = 15.0  # argon2id under AddressSanitizer is slow

# Environment variables passed through from the caller (sanitizer settings, locale, temp dir);
# everything else the server sees is set explicitly.
PASSTHROUGH_ENV = (
    "PATH", "LANG", "LC_ALL", "TMPDIR", "TZ",
    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS",
    "ASAN_SYMBOLIZER_PATH", "LLVM_SYMBOLIZER_PATH",
    # ctest runs the suite's servers with the cheapest password hash (tests/CMakeLists.txt).
    "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB",
)


# --------------------------------------------------------------------------
# server, requests, assertions
# --------------------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class Reply:
    def __init__(self, method, path, status, headers, body, header_list=None):
        self.method, self.path = method, path
        self.status = status
        self.headers = headers  # lower-case names; the last of repeated ones
        self.header_list = header_list or []  # every (lower-case name, value), repeats kept (Set-Cookie)
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def code(self):
        """The error code of an error body, else None."""
        try:
            doc = self.json()
        except ValueError:
            return None
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            return doc["error"].get("code")
        return None

    def __repr__(self):
        return "%s %s -> %d %r %r" % (self.method, self.path, self.status, self.headers, self.body[:400])


def stop_process(proc):
    """SIGTERM, then SIGKILL if the process has not exited within EXIT_TIMEOUT."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Server:
    """One running instance of the server binary."""

    def __init__(self, env=None):
        self.data_dir = tempfile.mkdtemp(prefix="vc-tenancy-")
        self.port = free_port()
        base = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        base.setdefault("PATH", "/usr/bin:/bin")
        base.update({
            "HOME": self.data_dir,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATA_DIR": self.data_dir,
            "LOG_LEVEL": "warn",
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WORKER_THREADS": "8",
            # The suite's players are 2.x-style (id only) and all on 127.0.0.1; the tests of device
            # identity give their own values (None removes a variable: the server's default applies).
            "DEVICE_CREDENTIALS": "off",
            "PLAYER_REQUESTS_PER_MINUTE": "0",
            "DEVICE_AUTH_FAILURES": "0",
        })
        base.update(env or {})
        for k in [k for k, v in base.items() if v is None]:
            del base[k]
        # With VC_TEST_POSTGRES_URL (a server's postgresql://…/postgres URL) each instance gets a
        # fresh PostgreSQL database instead of the SQLite file, so the suite runs on both backends.
        pg = os.environ.get("VC_TEST_POSTGRES_URL")
        if pg and "DATABASE_URL" not in base:
            db = "vci_%d_%s" % (os.getpid(), os.path.basename(self.data_dir).replace("-", "_").lower())
            subprocess.run(["psql", pg, "-qAtc", "CREATE DATABASE %s" % db], check=True,
                           stdout=subprocess.DEVNULL, timeout=60)
            base["DATABASE_URL"] = pg.rsplit("/", 1)[0] + "/" + db
        self.env = base  # what the server was started with (DATABASE_URL on PostgreSQL)
        self.log_path = os.path.join(self.data_dir, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BINARY], cwd=self.data_dir, env=base, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.cleanup()
            raise

    def describe(self):
        with open(self.log_path, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        return "\n--- server exit code %r, output (tail):\n%s" % (self.proc.poll(), out[-6000:])

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited early%s" % self.describe())
            try:
                if self.call("GET", "/healthz").status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise AssertionError("server not ready after %.0f s%s" % (STARTUP_TIMEOUT, self.describe()))

    def cleanup(self):
        stop_process(self.proc)
        self._log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def connection(self):
        """A fresh connection to this server (an HTTPS front end overrides it)."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT)

    def call(self, method, path, body=None, token=None, api_key=None, headers=None, query=None):
        """One request on a fresh connection. `body`: dict/list → JSON, str/bytes → as is."""
        if query:
            path = path + "?" + urllib.parse.urlencode(query)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if api_key:
            h["X-API-Key"] = api_key
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        conn = self.connection()
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            payload = r.read()
            return Reply(method, path, r.status, {k.lower(): v for k, v in r.getheaders()}, payload,
                         [(k.lower(), v) for k, v in r.getheaders()])
        finally:
            conn.close()

    # -- shortcuts ---------------------------------------------------------
    def login(self, username, password, headers=None):
        return self.call("POST", "/api/v1/auth/login", {"username": username, "password": password}, headers=headers)

    def token(self, username, password=USER_PASSWORD):
        r = self.login(username, password)
        if r.status != 200:
            raise AssertionError("login of %r failed: %r" % (username, r))
        return r.json()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def parallel(fn, items, workers=8):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


class ApiTestCase(unittest.TestCase):

    def assertStatus(self, reply, status, code=None, msg=""):
        self.assertEqual(reply.status, status, "%s %r" % (msg, reply))
        if status == 204:
            self.assertEqual(reply.body, b"", repr(reply))
        if status >= 400:
            ct = reply.headers.get("content-type", "")
            self.assertTrue(ct.startswith("application/json"), "error not JSON: %r" % reply)
            doc = reply.json()
            self.assertIsInstance(doc.get("error"), dict, repr(reply))
            self.assertTrue(str(doc["error"].get("message", "")).strip(), "empty message: %r" % reply)
            if code:
                self.assertEqual(doc["error"].get("code"), code, "%s %r" % (msg, reply))
        if status == 401:
            self.assertEqual(reply.headers.get("www-authenticate"), "Bearer", "401 without WWW-Authenticate: %r" % reply)
        if status == 429:
            retry = reply.headers.get("retry-after")
            self.assertIsNotNone(retry, "429 without Retry-After: %r" % reply)
            self.assertTrue(retry.isdigit() and int(retry) >= 1, "bad Retry-After %r" % retry)
        return reply

    def assertNoSecrets(self, reply):
        text = reply.body.decode("utf-8", "replace")
        for word in ("password_hash", "key_hash", "$argon2"):
            self.assertNotIn(word, text, "response leaks %s: %r" % (word, reply))

    def collect_pages(self, server, path, token, query=None, limit=2, max_pages=200):
        """Follows next_cursor; returns all items and the number of pages."""
        items, cursor, pages = [], None, 0
        while True:
            q = dict(query or {}, limit=limit)
            if cursor:
                q["cursor"] = cursor
            r = self.assertStatus(server.call("GET", path, token=token, query=q), 200)
            doc = r.json()
            self.assertEqual(set(doc), {"items", "next_cursor"}, repr(r))
            self.assertLessEqual(len(doc["items"]), limit)
            items.extend(doc["items"])
            pages += 1
            cursor = doc["next_cursor"]
            if cursor is None:
                return items, pages
            self.assertIsInstance(cursor, str)
            self.assertLess(pages, max_pages, "paging does not end")


# --------------------------------------------------------------------------

def run_main():
    """Parses --binary PATH (or VC_SERVER_BINARY) and runs the calling module's tests."""
    global BINARY
    argv = [sys.argv[0]]
    binary = os.environ.get("VC_SERVER_BINARY")
    args = sys.argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--binary":
            if i + 1 >= len(args):
                sys.exit("--binary needs a path")
            binary = args[i + 1]
            i += 2
            continue
        if a.startswith("--binary="):
            binary = a.split("=", 1)[1]
        else:
            argv.append(a)
        i += 1
    if not binary:
        here = os.path.dirname(os.path.abspath(__file__))
        binary = os.path.join(here, "..", "..", "build", "apps", "server", "videocontrol-server")
    binary = os.path.abspath(binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        sys.exit("server binary not found or not executable: %s (use --binary PATH or VC_SERVER_BINARY)" % binary)
    BINARY = binary
    unittest.main(module="__main__", argv=argv, verbosity=2)
