#!/usr/bin/python3
"""Integration test for the real VideoControl server binary.

Usage:
    /usr/bin/python3 tests/integration/test_server.py --binary PATH/videocontrol-server [unittest args]

The binary can also be given with the environment variable VC_SERVER_BINARY.
Only the Python 3 standard library is used. Every server instance runs in its
own temporary DATA_DIR on a free 127.0.0.1 port and is always stopped again;
every socket has a timeout, so the test stops by itself.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = None  # set in main()

ADMIN_PASSWORD = "Integration-Test-Pw-1"
DEFAULT_MAX_BODY = 1048576

# The server may run under AddressSanitizer: be generous with start-up.
STARTUP_TIMEOUT = float(os.environ.get("VC_STARTUP_TIMEOUT", "20"))
EXIT_TIMEOUT = 15.0
SOCKET_TIMEOUT = 5.0

# Environment variables passed through from the caller (sanitizer settings,
# locale, temp dir); everything else the server sees is set explicitly.
PASSTHROUGH_ENV = (
    "PATH", "LANG", "LC_ALL", "TMPDIR", "TZ",
    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS",
    "ASAN_SYMBOLIZER_PATH", "LLVM_SYMBOLIZER_PATH",
    # ctest runs the suite's servers with the cheapest password hash (tests/CMakeLists.txt).
    "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB",
)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class HttpResponse:
    def __init__(self, status_line, status, headers, body, closed):
        self.status_line = status_line
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body
        self.closed = closed  # True if the peer closed while/after sending

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "HttpResponse(%r, headers=%r, body=%r)" % (
            self.status_line, self.headers, self.body[:300])


def read_http_response(sock, timeout=SOCKET_TIMEOUT):
    """Read one HTTP/1.x response from a raw socket.

    Raises socket.timeout if no complete response arrives within `timeout`
    seconds, ConnectionError if the connection ends before a status line.
    """
    deadline = time.monotonic() + timeout
    buf = b""
    closed = False

    def recv_more():
        nonlocal buf, closed
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out reading response; got %r" % buf[:500])
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            closed = True
        buf += chunk
        return chunk

    while b"\r\n\r\n" not in buf:
        if not recv_more():
            raise ConnectionError("connection closed before a complete header; got %r" % buf[:500])
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0]
    m = re.match(r"HTTP/1\.[01] (\d{3})", status_line)
    if not m:
        raise AssertionError("bad status line %r" % status_line)
    status = int(m.group(1))
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    buf = rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            if not recv_more():
                break
        body = buf[:n]
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in buf:
                if not recv_more():
                    raise ConnectionError("connection closed inside chunked body")
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while b"\r\n" not in buf:
                    if not recv_more():
                        break
                break
            while len(buf) < size + 2:
                if not recv_more():
                    raise ConnectionError("connection closed inside chunk")
            body += buf[:size]
            buf = buf[size + 2:]
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        while recv_more():
            pass
        body = buf
    return HttpResponse(status_line, status, headers, body, closed)


def connection_closed_by_peer(sock, timeout=3.0):
    """True if the peer closes (EOF or reset) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        if not data:
            return True


def send_in_background(sock, data):
    """sendall() in a thread (errors ignored) so the caller can read meanwhile."""
    def run():
        try:
            sock.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def post_body(port, size):
    """POST `size` bytes to an unknown route on a raw socket; return the response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    try:
        s.sendall(b"POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n" % size)
        sender = send_in_background(s, b"a" * size)
        resp = read_http_response(s, timeout=15.0)
        sender.join(5.0)
        return resp
    finally:
        s.close()


class ServerProcess:
    """One running instance of the server binary."""

    def __init__(self, data_dir=None, env=None, drop=(), port=None):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vc-it-")
        self.log_dir = tempfile.mkdtemp(prefix="vc-it-log-")
        self.port = port or free_port()
        base = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        base.setdefault("PATH", "/usr/bin:/bin")
        base["HOME"] = self.data_dir
        base.update({
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATA_DIR": self.data_dir,
            "LOG_LEVEL": "info",
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
        })
        base.update(env or {})
        for k in drop:
            base.pop(k, None)
        self.env = base
        self.stdout_path = os.path.join(self.log_dir, "stdout.log")
        self.stderr_path = os.path.join(self.log_dir, "stderr.log")
        self._stdout = open(self.stdout_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [BINARY], cwd=self.data_dir, env=self.env,
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr)

    # -- output ------------------------------------------------------------
    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def output(self):
        return self.stdout() + self.stderr()

    def describe(self):
        return ("\n--- server exit code: %r\n--- server stdout (tail):\n%s\n--- server stderr (tail):\n%s"
                % (self.proc.poll(), self.stdout()[-4000:], self.stderr()[-8000:]))

    # -- lifecycle ---------------------------------------------------------
    def wait_ready(self, timeout=STARTUP_TIMEOUT):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited early with code %r%s"
                                     % (self.proc.returncode, self.describe()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
                try:
                    conn.request("GET", "/healthz")
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        return
                    last_error = "status %d" % r.status
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                last_error = repr(e)
            time.sleep(0.1)
        raise AssertionError("server not ready after %.0f s (last error: %s)%s"
                             % (timeout, last_error, self.describe()))

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        """Return the exit code, or None if it is still running after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        """Terminate (SIGTERM) and return the exit code; kill if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def cleanup(self, remove_data=True):
        try:
            self.stop()
        finally:
            self._stdout.close()
            self._stderr.close()
            shutil.rmtree(self.log_dir, ignore_errors=True)
            if remove_data and self.own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- requests ----------------------------------------------------------
    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r, data
        finally:
            conn.close()

    def raw_connect(self, timeout=SOCKET_TIMEOUT):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


def wait_for_output(server, predicate, timeout=5.0, which="stderr"):
    deadline = time.monotonic() + timeout
    while True:
        text = server.stderr() if which == "stderr" else server.output()
        if predicate(text):
            return text
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


class ServerTestCase(unittest.TestCase):
    """Base with helpers for starting additional, per-test servers."""

    def start_server(self, ready=True, **kwargs):
        server = ServerProcess(**kwargs)
        self.addCleanup(server.cleanup)
        if ready:
            server.wait_ready()
        return server

    def assertJsonError(self, body, headers_ct, code, context=""):
        self.assertTrue(headers_ct and headers_ct.lower().startswith("application/json"),
                        "Content-Type %r is not application/json %s" % (headers_ct, context))
        try:
            doc = json.loads(body.decode("utf-8"))
        except ValueError:
            self.fail("error body is not JSON: %r %s" % (body[:300], context))
        self.assertIsInstance(doc, dict, context)
        self.assertIn("error", doc, "no 'error' object in %r %s" % (doc, context))
        err = doc["error"]
        self.assertIsInstance(err, dict, context)
        self.assertEqual(err.get("code"), code, "error body %r %s" % (doc, context))
        self.assertIsInstance(err.get("message"), str, context)
        self.assertTrue(err["message"].strip(), "empty error message in %r %s" % (doc, context))


# --------------------------------------------------------------------------
# Tests against one shared instance (default configuration)
# --------------------------------------------------------------------------

class DefaultServerTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess()
        try:
            cls.server.wait_ready()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        if self.server.proc.poll() is not None:
            self.fail("shared server is no longer running%s" % self.server.describe())

    def assertServerAlive(self):
        self.assertIsNone(self.server.proc.poll(), "server died%s" % self.server.describe())
        r, _ = self.server.request("GET", "/healthz")
        self.assertEqual(r.status, 200)

    # -- basic routes ------------------------------------------------------
    def test_healthz_returns_ok_json(self):
        r, body = self.server.request("GET", "/healthz")
        self.assertEqual(r.status, 200)
        ct = r.getheader("Content-Type", "")
        self.assertTrue(ct.startswith("application/json"), "Content-Type %r" % ct)
        self.assertEqual(json.loads(body), {"status": "ok"})

    def test_readyz_reports_database_ok(self):
        r, body = self.server.request("GET", "/readyz")
        self.assertEqual(r.status, 200, body)
        self.assertTrue(r.getheader("Content-Type", "").startswith("application/json"))
        doc = json.loads(body)
        # Contract: {"status":"ready","checks":{"database":"ok"}}; additional keys are tolerated.
        self.assertIsInstance(doc, dict, body)
        self.assertEqual(doc.get("status"), "ready", body)
        self.assertIsInstance(doc.get("checks"), dict, body)
        self.assertEqual(doc["checks"].get("database"), "ok", body)
        self.assertEqual(doc["checks"].get("content"), "ok", body)  # the content folder takes uploads

    def test_metrics_label_requests_by_route_template_and_status_class(self):
        self.server.request("GET", "/api/v1/devices/secret-device-id-123")  # 401: no token
        self.server.request("GET", "/no/such/route/xyz")
        r, body = self.server.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        text = body.decode()
        self.assertIn('videocontrol_http_request_duration_seconds_count{method="GET",route="/api/v1/devices/{device_id}",'
                      'status="4xx"}', text)
        self.assertIn('route="unmatched",status="4xx"', text)
        self.assertRegex(text, r'videocontrol_http_request_duration_seconds_bucket\{method="GET",route="/healthz",'
                               r'status="2xx",le="\+Inf"\} [1-9]')
        # Paths never become label values: they may carry ids.
        self.assertNotIn("secret-device-id-123", text)
        self.assertNotIn("xyz", text)
        self.assertRegex(text, r"\nvideocontrol_http_requests_in_flight 1\n")  # this scrape
        self.assertRegex(text, r"\nvideocontrol_db_queries_total [1-9]")

    def test_unknown_route_returns_json_not_found(self):
        r, body = self.server.request("GET", "/no/such/route")
        self.assertEqual(r.status, 404, body)
        self.assertJsonError(body, r.getheader("Content-Type"), "not_found")

    def test_wrong_method_returns_405_with_allow_header(self):
        r, body = self.server.request("POST", "/healthz", body=b"")
        self.assertEqual(r.status, 405, body)
        allow = r.getheader("Allow")
        self.assertIsNotNone(allow, "405 without Allow header; headers=%r" % r.getheaders())
        methods = [m.strip().upper() for m in allow.split(",")]
        self.assertIn("GET", methods, "Allow: %r" % allow)
        self.assertJsonError(body, r.getheader("Content-Type"), "method_not_allowed")

    def test_keep_alive_serves_two_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=SOCKET_TIMEOUT)
        try:
            conn.request("GET", "/healthz")
            r1 = conn.getresponse()
            b1 = r1.read()
            self.assertEqual(r1.status, 200)
            self.assertFalse(r1.will_close, "server closes after first request: %r" % r1.getheaders())
            sock1 = conn.sock
            self.assertIsNotNone(sock1)
            conn.request("GET", "/readyz")
            r2 = conn.getresponse()
            b2 = r2.read()
            self.assertIs(conn.sock, sock1, "second request used a new connection")
            self.assertEqual(r2.status, 200, b2)
            self.assertEqual(json.loads(b1), {"status": "ok"})
        finally:
            conn.close()

    # -- body limits -------------------------------------------------------
    def test_oversized_body_is_refused_from_headers_without_reading_it(self):
        s = self.server.raw_connect()
        try:
            s.sendall(b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n"
                      b"Content-Type: application/octet-stream\r\n\r\n")
            t0 = time.monotonic()
            try:
                resp = read_http_response(s, timeout=5.0)
            except socket.timeout as e:
                self.fail("no response within 5 s to an oversized Content-Length "
                          "(server waits for the body?): %s" % e)
            elapsed = time.monotonic() - t0
            self.assertTrue(resp.status_line.startswith("HTTP/1.1 413"), repr(resp))
            self.assertLess(elapsed, 5.0)
            self.assertJsonError(resp.body, resp.headers.get("content-type"), "too_large", repr(resp))
            self.assertTrue(resp.closed or connection_closed_by_peer(s, 3.0),
                            "connection not closed after 413")
        finally:
            s.close()
        self.assertServerAlive()

    def test_body_of_exactly_the_default_limit_is_read(self):
        resp = post_body(self.server.port, DEFAULT_MAX_BODY)
        self.assertEqual(resp.status, 404, repr(resp))
        self.assertJsonError(resp.body, resp.headers.get("content-type"), "not_found", repr(resp))

    def test_body_one_byte_over_the_default_limit_is_refused(self):
        resp = post_body(self.server.port, DEFAULT_MAX_BODY + 1)
        self.assertEqual(resp.status, 413, repr(resp))
        self.assertJsonError(resp.body, resp.headers.get("content-type"), "too_large", repr(resp))
        self.assertServerAlive()

    # -- robustness --------------------------------------------------------
    def test_malformed_request_line_gets_400_or_close_and_server_survives(self):
        s = self.server.raw_connect()
        try:
            s.sendall(b"GARBAGE\r\n\r\n")
            try:
                resp = read_http_response(s, timeout=5.0)
                self.assertEqual(resp.status, 400, repr(resp))
            except ConnectionError:
                pass  # closed without an answer: allowed
            except socket.timeout:
                self.fail("server neither answered nor closed within 5 s after a malformed request line")
        finally:
            s.close()
        self.assertServerAlive()

    # -- logging / first run -----------------------------------------------
    def test_access_log_line_has_method_path_status_and_latency(self):
        r, _ = self.server.request("GET", "/healthz")
        self.assertEqual(r.status, 200)

        def has_line(text):
            return any("GET" in ln and "/healthz" in ln and "200" in ln and "latency_ms=" in ln
                       for ln in text.splitlines())
        if wait_for_output(self.server, has_line, timeout=5.0) is None:
            where = " (but such a line is on stdout)" if has_line(self.server.stdout()) else ""
            self.fail("no access-log line with GET, /healthz, 200 and latency_ms= on stderr%s%s"
                      % (where, self.server.describe()))

    def test_first_run_creates_admin_without_printing_given_password(self):
        out = self.server.output()
        created = [ln for ln in out.splitlines()
                   if "admin" in ln.lower() and re.search(r"creat", ln, re.I)]
        self.assertTrue(created, "no line announcing the creation of superadmin 'admin'%s"
                        % self.server.describe())
        self.assertNotIn(ADMIN_PASSWORD, out, "ADMIN_PASSWORD was printed")


# --------------------------------------------------------------------------
# Tests that need their own instance
# --------------------------------------------------------------------------

class ConfiguredLimitTest(ServerTestCase):

    def test_max_body_bytes_env_lowers_the_limit(self):
        server = self.start_server(env={"MAX_BODY_BYTES": "1000"})
        resp = post_body(server.port, 1001)
        self.assertEqual(resp.status, 413, repr(resp))
        self.assertJsonError(resp.body, resp.headers.get("content-type"), "too_large", repr(resp))
        resp = post_body(server.port, 1000)
        self.assertEqual(resp.status, 404, repr(resp))
        self.assertJsonError(resp.body, resp.headers.get("content-type"), "not_found", repr(resp))


class ShutdownTest(ServerTestCase):

    def test_sigterm_finishes_in_flight_request_refuses_new_ones_and_exits_zero(self):
        server = self.start_server()
        total = 200000
        half = total // 2
        s = server.raw_connect(timeout=SOCKET_TIMEOUT)
        try:
            s.sendall(b"POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                      b"Content-Type: application/octet-stream\r\n\r\n" % total)
            s.sendall(b"b" * half)
            time.sleep(0.3)  # let the server start reading the request
            server.signal(signal.SIGTERM)
            time.sleep(0.5)

            # A new connection must be refused (or fail) quickly.
            new_conn_answered = None
            try:
                c = socket.create_connection(("127.0.0.1", server.port), timeout=2.0)
                try:
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    new_conn_answered = read_http_response(c, timeout=2.0)
                except (OSError, ConnectionError):
                    pass  # reset / closed / timed out: the connection failed
                finally:
                    c.close()
            except OSError:
                pass  # refused
            self.assertIsNone(new_conn_answered,
                              "a new connection was accepted and served after SIGTERM: %r"
                              % (new_conn_answered,))

            # The in-flight request still gets its complete answer.
            try:
                s.sendall(b"b" * (total - half))
            except OSError as e:
                self.fail("in-flight connection broken after SIGTERM: %r%s" % (e, server.describe()))
            try:
                resp = read_http_response(s, timeout=10.0)
            except (socket.timeout, ConnectionError) as e:
                self.fail("in-flight request got no complete response after SIGTERM: %s%s"
                          % (e, server.describe()))
            self.assertEqual(resp.status, 404, repr(resp))
            self.assertJsonError(resp.body, resp.headers.get("content-type"), "not_found", repr(resp))
        finally:
            s.close()
        rc = server.wait_exit(EXIT_TIMEOUT)
        self.assertIsNotNone(rc, "server still running %.0f s after SIGTERM%s" % (EXIT_TIMEOUT, server.describe()))
        self.assertEqual(rc, 0, "exit code after SIGTERM%s" % server.describe())

    def test_sigint_exits_zero(self):
        server = self.start_server()
        server.signal(signal.SIGINT)
        rc = server.wait_exit(EXIT_TIMEOUT)
        self.assertIsNotNone(rc, "server still running %.0f s after SIGINT%s" % (EXIT_TIMEOUT, server.describe()))
        self.assertEqual(rc, 0, "exit code after SIGINT%s" % server.describe())


def _extract_password(line):
    """Best-effort: the token printed after the word 'password'."""
    m = re.search(r"password\b[^:=\n]*[:=]\s*['\"]?([^\s'\"]+)", line, re.I)
    if m:
        return m.group(1)
    tokens = line.split()
    for i, tok in enumerate(tokens):
        if "password" in tok.lower() and i + 1 < len(tokens):
            return tokens[-1].strip("'\".,;")
    return None


class FirstRunTest(ServerTestCase):

    def test_generated_admin_password_is_printed_once_and_not_on_restart(self):
        data_dir = tempfile.mkdtemp(prefix="vc-it-")
        self.addCleanup(shutil.rmtree, data_dir, True)

        # The default hash cost: a weaker one is a start-up warning, which mentions passwords.
        DEFAULT_COST = ("ADMIN_PASSWORD", "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB")
        first = ServerProcess(data_dir=data_dir, drop=DEFAULT_COST)
        self.addCleanup(first.cleanup)
        first.wait_ready()
        out1 = first.output()
        pw_lines = [ln for ln in out1.splitlines() if "password" in ln.lower()]
        self.assertTrue(pw_lines, "no generated password printed on first run%s" % first.describe())
        self.assertTrue(any("admin" in ln.lower() for ln in out1.splitlines()),
                        "first run does not mention the admin user%s" % first.describe())
        token = None
        for ln in pw_lines:
            token = _extract_password(ln)
            if token and len(token) >= 8:
                break
            token = None
        if token:
            self.assertEqual(out1.count(token), 1,
                             "generated password %r printed %d times%s"
                             % (token, out1.count(token), first.describe()))
        rc = first.stop()
        self.assertEqual(rc, 0, "first run did not exit cleanly%s" % first.describe())

        second = ServerProcess(data_dir=data_dir, drop=DEFAULT_COST)
        self.addCleanup(second.cleanup)
        second.wait_ready()
        time.sleep(0.2)
        out2 = second.output()
        if token:
            self.assertNotIn(token, out2, "password printed again on restart%s" % second.describe())
        pw_lines2 = []
        for ln in out2.splitlines():
            if "password" in ln.lower():
                tok = _extract_password(ln)
                if tok and len(tok) >= 8 and "password" not in tok.lower():
                    pw_lines2.append(ln)
        self.assertFalse(pw_lines2, "restart prints a password again: %r" % pw_lines2)


class ConfigFileTest(ServerTestCase):
    """Settings from a file (issue 15): ./.env in the working directory, or CONFIG_FILE; the
    environment beats the file."""

    def _dir_with(self, name, text):
        d = tempfile.mkdtemp(prefix="vc-it-")
        self.addCleanup(shutil.rmtree, d, True)
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        return d

    def test_dotenv_in_the_working_directory_is_read_and_the_environment_wins(self):
        d = self._dir_with(".env", "# operator settings\nLOG_FORMAT=json\nSLOW_QUERY_MS=7\n"
                                   "MAX_BODY_BYTES=2048\nNOT_A_SETTING=1\n")
        server = self.start_server(data_dir=d, env={"MAX_BODY_BYTES": "4096"})
        _, body = server.request("GET", "/metrics")
        self.assertIn("\nvideocontrol_db_slow_query_threshold_seconds 0.007\n", body.decode())
        # MAX_BODY_BYTES: 4096 from the environment, not 2048 from the file.
        r, _ = server.request("POST", "/api/v1/auth/login", body=b"x" * 3000,
                              headers={"Content-Type": "application/json"})
        self.assertNotEqual(r.status, 413, server.describe())
        r, _ = server.request("POST", "/api/v1/auth/login", body=b"x" * 5000,
                              headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)
        err = server.stderr()
        self.assertIn('"settings read from a file"', err)  # LOG_FORMAT=json from the file
        self.assertIn("NOT_A_SETTING", err)  # an unknown name is a warning, not a failure

    def test_a_password_hash_cost_below_the_default_is_a_start_up_warning(self):
        weak = self.start_server(env={"PASSWORD_HASH_OPS": "1", "PASSWORD_HASH_MEMORY_KIB": "8"})
        self.assertIn("PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEMORY_KIB=8: new password hashes are weaker", weak.stderr())
        strong = self.start_server(env={"PASSWORD_HASH_OPS": "2", "PASSWORD_HASH_MEMORY_KIB": "65536"})
        self.assertNotIn("PASSWORD_HASH", strong.stderr())

    def test_metrics_false_stops_request_and_statement_measurement(self):
        server = self.start_server(env={"METRICS": "false"})
        server.request("GET", "/healthz")
        _, body = server.request("GET", "/metrics")
        text = body.decode()
        self.assertNotIn("videocontrol_http_request_duration_seconds", text)
        self.assertIn("\nvideocontrol_db_queries_total 0\n", text)
        self.assertIn("\nvideocontrol_db_pool_connections 4\n", text)  # the rest is still served

    def test_config_file_setting_names_the_file_and_a_bad_line_stops_startup(self):
        d = self._dir_with("vc.conf", "PORT=1\nLOG_LEVEL=loud\n")
        server = ServerProcess(env={"CONFIG_FILE": os.path.join(d, "vc.conf")}, drop=("LOG_LEVEL",))
        self.addCleanup(server.cleanup)
        rc = server.wait_exit(STARTUP_TIMEOUT)
        self.assertNotEqual(rc, 0, server.describe())
        self.assertIn("LOG_LEVEL", server.stderr())
        self.assertIn("vc.conf", server.stderr())


class BadConfigurationTest(ServerTestCase):

    def _expect_startup_failure(self, env, must_mention, data_dir=None):
        server = ServerProcess(env=env, data_dir=data_dir)
        self.addCleanup(server.cleanup)
        rc = server.wait_exit(STARTUP_TIMEOUT)
        self.assertIsNotNone(rc, "server with %r did not exit%s" % (env, server.describe()))
        self.assertNotEqual(rc, 0, "server with %r exited with 0%s" % (env, server.describe()))
        self.assertIn(must_mention, server.stderr(),
                      "stderr does not mention %r%s" % (must_mention, server.describe()))
        return server

    def test_non_numeric_port_fails_fast_naming_port(self):
        t0 = time.monotonic()
        self._expect_startup_failure({"PORT": "abc"}, "PORT")
        self.assertLess(time.monotonic() - t0, 10.0, "bad PORT was not rejected quickly")

    def test_password_hash_cost_out_of_bounds_fails_naming_the_setting(self):
        self._expect_startup_failure({"PASSWORD_HASH_OPS": "0"}, "PASSWORD_HASH_OPS")
        self._expect_startup_failure({"PASSWORD_HASH_MEMORY_KIB": "7"}, "PASSWORD_HASH_MEMORY_KIB")

    def test_unsupported_database_url_fails_naming_database_url(self):
        self._expect_startup_failure({"DATABASE_URL": "mysql://x"}, "DATABASE_URL")

    def test_database_from_a_newer_version_is_refused(self):
        data_dir = tempfile.mkdtemp(prefix="vc-it-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        first = ServerProcess(data_dir=data_dir)
        self.addCleanup(first.cleanup)
        first.wait_ready()
        rc = first.stop()
        self.assertEqual(rc, 0, "normal run did not exit cleanly%s" % first.describe())

        db_path = os.path.join(data_dir, "videocontrol.db")
        self.assertTrue(os.path.exists(db_path), "no %s after a normal run; DATA_DIR has %r"
                        % (db_path, os.listdir(data_dir)))
        db = sqlite3.connect(db_path, timeout=5.0)
        try:
            db.execute("INSERT INTO schema_migrations(version, name, applied_at) "
                       "VALUES (9999, 'future', 0)")
            db.commit()
        finally:
            db.close()
        self._expect_startup_failure({}, "9999", data_dir=data_dir)


# --------------------------------------------------------------------------

def main():
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
        sys.exit("server binary not found or not executable: %s "
                 "(use --binary PATH or VC_SERVER_BINARY)" % binary)
    BINARY = binary
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
