#!/usr/bin/python3
"""Cluster integration test (issue 6): a throwaway PostgreSQL and Redis, three server instances sharing
one database, Redis, CONTENT_DIR, JWT_SECRET and ADMIN_PASSWORD, and nginx generated from
deploy/nginx/videocontrol-lb.conf in front of them — all on 127.0.0.1, all stopped at the end.

Usage:
    /usr/bin/python3 tests/integration/test_cluster.py --binary PATH/videocontrol-server [unittest args]

nginx runs the shipped TLS server with a self-signed certificate made by the test (openssl CLI); every
request and Socket.IO connection through it is https:// / wss://, verified against that certificate.

Checks (in order; the last two are destructive):
  0. media conversion jobs run once across instances;
  0a. the edge: plain HTTP only redirects to HTTPS (but serves ACME challenges), HSTS, TLS 1.2/1.3
     only, certificate verification, /healthz /readyz /metrics only from the operator's network,
     X-Forwarded-Proto reaching the instances (Secure cookies);
  1. a command sent through instance 1's REST API reaches a player on instance 3, and through nginx
     (polling over HTTPS upgraded to WSS);
  2. presence agrees on every instance (REST ?status=online and players/onlineSnapshot);
  3. a cache invalidation crosses instances;
  4. SIGKILL of the instance a player (via nginx, WSS, reconnecting) is on: the player
     reconnects through nginx to another instance, re-registers and gets its true state;
  5. Redis stopped: REST keeps working and /readyz reports it; Redis back: cross-instance delivery
     resumes.

The Cluster class is also used by bench/cluster_latency.py.
"""

import gc
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import api_support  # noqa: E402
import edge_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, free_port, unique  # noqa: E402

import requests  # noqa: E402  (python3-requests; python-socketio's HTTP client)
import socketio  # noqa: E402  (python3-socketio)

WAIT = 5.0
JWT_SECRET = "cluster-test-jwt-secret-0123456789abcdef"
NGINX = "/usr/sbin/nginx"
LB_CONF = edge_support.LB_CONF
PNG = b"\x89PNG\r\n\x1a\n" + uuid.uuid5(uuid.NAMESPACE_OID, "cluster").bytes * 200


# --------------------------------------------------------------------------
# the cluster
# --------------------------------------------------------------------------

def _script(name, *args):
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", name)] + [str(a) for a in args], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return out.stdout.decode().strip()


class Nginx:
    """nginx in the foreground with its own prefix, config generated from the shipped LB config: the
    TLS server (self-signed certificate made here) on 127.0.0.1:port, the redirect server on
    127.0.0.1:http_port, and the shipped operator-network include — which admits clients from
    127.0.0.1 but not from 127.0.0.2 (request(..., source=...))."""

    def __init__(self, ports, edge_rate_limit=True):
        self.dir = tempfile.mkdtemp(prefix="vc-nginx-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()       # HTTPS / WSS
        self.http_port = free_port()  # plain HTTP: redirects, ACME challenges
        self.cert, self.key = edge_support.make_certificate(self.dir, names=("localhost",), addresses=("127.0.0.1",))
        self.ssl_context = edge_support.client_context(self.cert)
        operator_include = os.path.join(self.dir, "operator-network.conf")
        shutil.copyfile(edge_support.OPERATOR_NETWORK_CONF, operator_include)
        # certbot's webroot: a challenge file that must be served over plain HTTP, not redirected.
        self.acme_root = os.path.join(self.dir, "acme")
        os.makedirs(os.path.join(self.acme_root, ".well-known", "acme-challenge"))
        with open(os.path.join(self.acme_root, ".well-known", "acme-challenge", "test-token"), "w") as f:
            f.write("test-token.key-authorization")
        with open(LB_CONF) as f:
            conf = f.read()
        for default, port in zip((3000, 3001, 3002), ports):
            conf = conf.replace("server 127.0.0.1:%d " % default, "server 127.0.0.1:%d " % port)
        if len(ports) < 3:  # fewer instances: drop the unused upstream lines
            for default in (3000, 3001, 3002)[len(ports):]:
                conf = re.sub(r"\n\s*server 127\.0\.0\.1:%d [^\n]*" % default, "", conf)
        conf = edge_support.site_config(
            conf, https_listen=["127.0.0.1:%d" % self.port],
            http_listen=["127.0.0.1:%d" % self.http_port], cert=self.cert, key=self.key,
            operator_include=operator_include, https_port=self.port)
        conf = conf.replace("root /var/www/letsencrypt;", "root %s;" % self.acme_root)
        if not edge_rate_limit:  # benchmarks measure the instances, not the edge limit
            conf = re.sub(r"\n\s*limit_req [^\n]*", "", conf)
        with open(os.path.join(self.dir, "videocontrol-lb.conf"), "w") as f:
            f.write(conf)
        d = self.dir
        main = """
daemon off;
master_process on;
worker_processes 1;
%(user)s
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(d)s/client_body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    include %(d)s/videocontrol-lb.conf;
}
""" % {"d": d, "user": "user root;" if os.getuid() == 0 else ""}
        self.conf_path = os.path.join(d, "nginx.conf")
        with open(self.conf_path, "w") as f:
            f.write(main)
        self._log = open(os.path.join(d, "stdout.log"), "wb")
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", self.conf_path, "-e", os.path.join(d, "error.log")],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited: %s" % self.describe())
            try:
                if self.call("GET", "/healthz").status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise AssertionError("nginx not answering: %s" % self.describe())

    call = api_support.Server.call  # over HTTPS from 127.0.0.1, verifying the certificate

    def connection(self, source=None, context=None):
        """HTTPS to nginx, verifying its certificate; `source`: the client's own address."""
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=api_support.SOCKET_TIMEOUT,
                                           context=context or self.ssl_context,
                                           source_address=(source, 0) if source else None)

    def request(self, method, path, tls=True, source=None, headers=None, context=None):
        """(status, lower-case headers, body) of one request: HTTPS to nginx's TLS port, or plain HTTP to
        its redirect port; from the client address `source` (default 127.0.0.1)."""
        if tls:
            conn = self.connection(source, context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=api_support.SOCKET_TIMEOUT,
                                              source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def describe(self):
        out = ""
        for name in ("stdout.log", "error.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    out += f.read().decode("utf-8", "replace")[-3000:]
            except OSError:
                pass
        return out

    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def http_url(self):
        return "http://127.0.0.1:%d" % self.http_port

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    """PostgreSQL + Redis + N instances (+ nginx). cleanup() stops whatever was started."""

    def __init__(self, instances=3, nginx=True, edge_rate_limit=True, log=None):
        self.log = log or (lambda *a: None)
        self.servers, self.nginx = [], None
        self.pg_dir = tempfile.mkdtemp(prefix="vc-cluster-pg-")
        self.redis_dir = tempfile.mkdtemp(prefix="vc-cluster-redis-")
        self.content_dir = tempfile.mkdtemp(prefix="vc-cluster-content-")
        self.pg_started = self.redis_started = False
        try:
            self.pg_port = free_port()
            self.pg_url = _script("pg_test_server.sh", "start", self.pg_dir, self.pg_port)
            self.pg_started = True
            self.redis_port = free_port()
            self.redis_url = self.start_redis()
            self.env = {
                "DATABASE_URL": self.pg_url,
                "REDIS_URL": self.redis_url,
                "CONTENT_DIR": self.content_dir,
                "JWT_SECRET": JWT_SECRET,
                "ADMIN_PASSWORD": ADMIN_PASSWORD,
                "RATE_LIMIT_PER_MINUTE": "1000000",
                "LOGIN_ATTEMPTS": "1000000",
                "TRUSTED_PROXIES": "127.0.0.1",
                "DB_POOL_SIZE": "8",
                # Issue 15: a dead instance's players are reported offline after this (default 20 s);
                # SIGTERM keeps serving, not ready, this long before shutting down.
                "PRESENCE_TTL_MS": "10000",
                "DRAIN_MS": "1500",
            }
            # The first instance alone bootstraps the database (migrations, admin), then the rest.
            self.servers.append(Server(env=self.env))
            for _ in range(instances - 1):
                self.servers.append(Server(env=self.env))
            if nginx:
                self.nginx = Nginx([s.port for s in self.servers], edge_rate_limit=edge_rate_limit)
        except BaseException:
            self.cleanup()
            raise

    def start_redis(self):
        url = _script("redis_test_server.sh", "start", self.redis_dir, self.redis_port)
        self.redis_started = True
        return url

    def stop_redis(self):
        _script("redis_test_server.sh", "stop", self.redis_dir)
        self.redis_started = False

    def cleanup(self):
        if self.nginx:
            self.nginx.cleanup()
            self.nginx = None
        for s in self.servers:
            try:
                s.cleanup()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                pass
        self.servers = []
        if self.redis_started:
            self.stop_redis()
        if self.pg_started:
            _script("pg_test_server.sh", "stop", self.pg_dir)
            self.pg_started = False
        for d in (self.pg_dir, self.redis_dir, self.content_dir):
            shutil.rmtree(d, ignore_errors=True)

    def alive(self):
        return [s for s in self.servers if s.proc.poll() is None]

    def players_on(self, server):
        """videocontrol_realtime_players of one instance (from /metrics)."""
        body = server.call("GET", "/metrics").body.decode()
        m = re.search(r"^videocontrol_realtime_players (\d+)", body, re.M)
        return int(m.group(1)) if m else None


class Setup:
    """One organisation with an operator, a viewer, devices and one image — created via instance 1."""

    def __init__(self, server, devices=4):
        self.super_token = server.token("admin", ADMIN_PASSWORD)["access_token"]
        r = server.call("POST", "/api/v1/organizations", {"name": "Cluster", "slug": unique("cl"), "plan": "PRO"},
                        token=self.super_token)
        assert r.status == 201, repr(r)
        self.org = r.json()
        self.users = {}
        for role in ("viewer", "operator"):
            name = unique("cl-" + role)
            r = server.call("POST", "/api/v1/users", {"username": name, "password": USER_PASSWORD, "role": role,
                                                     "organization_id": self.org["id"]}, token=self.super_token)
            assert r.status == 201, repr(r)
            self.users[role] = name
        self.token = server.token(self.users["operator"])["access_token"]
        self.viewer_token = server.token(self.users["viewer"])["access_token"]
        self.devices = []
        for i in range(devices):
            d = unique("cl-dev%d" % i)
            r = server.call("POST", "/api/v1/devices", {"device_id": d, "name": "Screen %d" % i}, token=self.token)
            assert r.status == 201, repr(r)
            self.devices.append(d)
        boundary = "----vc" + uuid.uuid4().hex
        body = (("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"pic.png\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + PNG +
                ("\r\n--%s--\r\n" % boundary).encode())
        for d in self.devices:
            r = server.call("POST", "/api/v1/devices/%s/media" % d, body, token=self.token,
                            headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
            assert r.status == 201, repr(r)


# --------------------------------------------------------------------------
# Socket.IO clients
# --------------------------------------------------------------------------

class Client:
    """A python-socketio client recording every event with its arrival time."""

    def __init__(self, url, token=None, transports=None, reconnection=False, cafile=None):
        self.events = []  # (name, args, monotonic time)
        self.cond = threading.Condition()
        self.connects = 0
        self.disconnects = 0
        kw = {}
        if cafile:
            # https:// and wss:// verified against the test's certificate: python-socketio 5.7's
            # ssl_verify is only a bool, but a requests session's `verify` (a CA file) is used for the
            # long-polling requests and handed to websocket-client as ca_certs for the WebSocket.
            session = requests.Session()
            session.trust_env = False  # else REQUESTS_CA_BUNDLE (and proxy variables) would win over `verify`
            session.verify = cafile
            kw["http_session"] = session
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=0.5,
                                   **kw)

        @self.sio.on("*")
        def any_event(name, *args):
            now = time.monotonic()
            with self.cond:
                self.events.append((name, args, now))
                self.cond.notify_all()

        @self.sio.event
        def connect():
            with self.cond:
                self.connects += 1
                self.cond.notify_all()
            self.on_connect()

        @self.sio.event
        def disconnect():
            with self.cond:
                self.disconnects += 1
                self.cond.notify_all()

        self.sio.connect(url, auth={"token": token} if token else None, transports=transports, wait_timeout=WAIT)

    def on_connect(self):
        pass

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait_for_event(self, name, pred=None, timeout=WAIT, start=0):
        """(args, arrival time) of the first matching event from index `start`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev, args, t in self.events[start:]:
                    if ev == name and (pred is None or pred(args)):
                        return args, t
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s within %.1f s; got %r" % (name, timeout,
                                                                         [e[:2] for e in self.events[start:]]))
                self.cond.wait(left)

    def wait_for(self, name, pred=None, timeout=WAIT, start=0):
        return self.wait_for_event(name, pred, timeout, start)[0]

    def close(self):
        self.sio.reconnection = False
        abort = getattr(self.sio, "_reconnect_abort", None)
        if abort is not None:
            abort.set()
        try:
            self.sio.disconnect()
        except Exception:  # noqa: BLE001
            pass


class Player(Client):
    """Registers on every (re)connection, as deployed players do."""

    def __init__(self, url, device_id, **kw):
        self.device_id = device_id
        super().__init__(url, **kw)
        self.wait_for("player/registered")

    def on_connect(self):
        self.sio.emit("player/register", {"device_id": self.device_id, "device_type": "test",
                                          "platform": "python-socketio", "capabilities": {"images": True}})


def url_of(server):
    return "http://127.0.0.1:%d" % server.port


def command(server, token, device_id, action="play", file=None):
    body = {"action": action}
    if file:
        body["file"] = file
    return server.call("POST", "/api/v1/devices/%s/commands" % device_id, body, token=token)


# --------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------

class ClusterTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(NGINX, os.X_OK):
            raise unittest.SkipTest("nginx not installed")
        cls.c = Cluster(instances=3, nginx=True)
        try:
            cls.s = Setup(cls.c.servers[0])
        except BaseException:
            cls.c.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def tls(self, url, kw):
        """https:// URLs (nginx) are verified against the test's certificate."""
        if url.startswith("https://"):
            kw.setdefault("cafile", self.c.nginx.cert)
        return kw

    def player(self, url, device_id, **kw):
        p = Player(url, device_id, **self.tls(url, kw))
        self.clients.append(p)
        return p

    def control(self, url, **kw):
        c = Client(url, token=self.s.token, **self.tls(url, kw))
        self.clients.append(c)
        return c

    def wait_transport(self, client, name="websocket"):
        deadline = time.monotonic() + WAIT
        while client.sio.transport() != name and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(client.sio.transport(), name)

    def wait_players(self, server, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            got = self.c.players_on(server)
            if got == n or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    def holder(self):
        """The live instance holding exactly one player connection (the nginx one)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            on = [s for s in self.c.alive() if (self.c.players_on(s) or 0) > 0]
            if len(on) == 1:
                return on[0]
            time.sleep(0.1)
        self.fail("cannot tell which instance holds the player: %r" %
                  [(s.port, self.c.players_on(s)) for s in self.c.alive()])

    # ---- 0a: the edge (issue 15): TLS, redirect, HSTS, probes for the operator's network ------

    def test_0a_edge_tls_redirect_hsts_and_operator_probes(self):
        n = self.c.nginx
        # Port 80's server only redirects (to the TLS port, which the test config names) ...
        for path in ("/", "/api/v1/devices?limit=1", "/healthz", "/socket.io/?EIO=4&transport=polling"):
            status, headers, _ = n.request("GET", path, tls=False)
            self.assertEqual(status, 301, path)
            self.assertEqual(headers.get("location"), "https://127.0.0.1:%d%s" % (n.port, path))
            self.assertNotIn("strict-transport-security", headers, "HSTS over plain HTTP is meaningless")
        status, headers, _ = n.request("POST", "/api/v1/auth/login", tls=False)
        self.assertEqual(status, 301)
        # ... except certbot's HTTP-01 challenge, served from the webroot.
        status, _, body = n.request("GET", "/.well-known/acme-challenge/test-token", tls=False)
        self.assertEqual((status, body), (200, b"test-token.key-authorization"))

        # HTTPS: TLS 1.2 or 1.3 with the certificate made for this test (verified: the context
        # trusts only that file and checks the address), HSTS on every answer, errors included.
        conn = n.connection()
        try:
            conn.request("GET", "/")
            r = conn.getresponse()
            r.read()
            self.assertIn(conn.sock.version(), ("TLSv1.2", "TLSv1.3"))
            hsts = r.getheader("Strict-Transport-Security") or ""
        finally:
            conn.close()
        m = re.match(r"max-age=(\d+)", hsts)
        self.assertTrue(m and int(m.group(1)) >= 31536000, "HSTS header %r" % hsts)
        status, headers, _ = n.request("GET", "/api/v1/devices")  # 401 without a token
        self.assertEqual(status, 401)
        self.assertIn("strict-transport-security", headers)

        # TLS 1.2 negotiates an ECDHE + AEAD suite; TLS 1.1 is refused by the server.
        ctx = edge_support.client_context(n.cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        conn = n.connection(context=ctx)
        try:
            conn.connect()
            self.assertEqual(conn.sock.version(), "TLSv1.2")
            cipher = conn.sock.cipher()[0]
            self.assertTrue(cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher)
        finally:
            conn.close()
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(n.cert)
        old.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that it is the server, not this client, refusing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises(ssl.SSLError) as refused:
            n.request("GET", "/", context=old)
        # The server's "protocol version" alert, not this client declining to offer TLS 1.1.
        self.assertIn("ALERT_PROTOCOL_VERSION", str(refused.exception))
        # A client that does not trust the certificate gets no answer: verification is real.
        untrusted = ssl.create_default_context()  # the system's CAs only
        with self.assertRaises(ssl.SSLCertVerificationError):
            n.request("GET", "/", context=untrusted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # websocket-client leaves the failed socket to GC
            with self.assertRaises(socketio.exceptions.ConnectionError):
                Client(n.url(), transports=["websocket"])  # wss:// against the system's CAs
            gc.collect()

        # Probes and metrics: from the operator's network (127.0.0.1, in the shipped include) yes;
        # from 127.0.0.2 (not in it) 403 — while the API still answers that address.
        for path in ("/healthz", "/readyz", "/metrics"):
            status, _, body = n.request("GET", path)
            self.assertEqual(status, 200, "%s from 127.0.0.1: %r" % (path, body[:200]))
            status, _, body = n.request("GET", path, source="127.0.0.2")
            self.assertEqual(status, 403, "%s from 127.0.0.2: %r" % (path, body[:200]))
        status, _, _ = n.request("GET", "/api/v1/devices", source="127.0.0.2",
                                 headers={"Authorization": "Bearer " + self.s.token})
        self.assertEqual(status, 200)

        # The instances learn that the client used HTTPS (X-Forwarded-Proto from a trusted proxy):
        # a browser sign-in through nginx gets Secure cookies, one straight to an instance does not.
        login = {"username": self.s.users["operator"], "password": USER_PASSWORD, "session": "cookie"}
        xrw = {"X-Requested-With": "VideoControl"}
        for front, secure in ((n, True), (self.c.servers[0], False)):
            r = self.assertStatus(front.call("POST", "/api/v1/auth/login", login, headers=xrw), 200)
            cookies = [v for k, v in r.header_list if k == "set-cookie"]
            self.assertTrue(cookies, repr(r))
            for c in cookies:
                self.assertEqual("; Secure" in c, secure, "%s: %s" % (front.__class__.__name__, c))

    # ---- 0: the content pipeline's jobs across instances (issue 12) -------------------------

    def test_0_conversion_jobs_run_once_across_instances(self):
        """Real images uploaded through two instances; every instance's workers claim from the one
        PostgreSQL table (FOR UPDATE SKIP LOCKED): each job runs exactly once (attempts 1), and the
        shared CONTENT_DIR serves what any instance made."""
        work = tempfile.mkdtemp(prefix="vc-cluster-img-")
        try:
            files = []
            for i in range(12):
                path = os.path.join(work, "img%d.png" % i)
                subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                                "color=c=0x%06x:s=%dx%d" % (i * 0x151515, 64 + 2 * i, 48), "-frames:v", "1", path],
                               check=True, timeout=60)
                with open(path, "rb") as fh:
                    files.append(("img%d.png" % i, fh.read()))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        dev = self.s.devices[1]
        media_ids = []
        for n, (name, data) in enumerate(files):
            server = self.c.servers[n % 2]
            boundary = "----vc" + uuid.uuid4().hex
            body = (("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode() + data +
                    ("\r\n--%s--\r\n" % boundary).encode())
            r = self.assertStatus(server.call("POST", "/api/v1/devices/%s/media" % dev, body, token=self.s.token,
                                              headers={"Content-Type": "multipart/form-data; boundary=" + boundary}),
                                  201)
            media_ids.append(r.json()["items"][0]["id"])
        deadline = time.monotonic() + 120
        while True:
            r = self.assertStatus(self.c.servers[2].call("GET", "/api/v1/devices/%s/media" % dev, token=self.s.token,
                                                         query={"limit": 200}), 200)
            mine = {f["id"]: f for f in r.json()["items"] if f["id"] in media_ids}
            if len(mine) == len(media_ids) and all(f["status"] != "processing" for f in mine.values()):
                break
            self.assertLess(time.monotonic(), deadline, "not processed: %r" % mine)
            time.sleep(0.2)
        for f in mine.values():
            self.assertEqual(f["status"], "ready", f)
            self.assertEqual(f["metadata"]["width"], 64 + 2 * int(f["name"][3:-4]), f)
        rows = subprocess.run(["psql", self.c.pg_url, "-qAtc",
                               "SELECT payload, status, attempts, claimed_by FROM jobs WHERE kind = 'media.process'"],
                              stdout=subprocess.PIPE, check=True, timeout=60).stdout.decode().splitlines()
        jobs = {}
        for row in rows:
            payload, status, attempts, claimed_by = row.split("|")
            mid = json.loads(payload)["media_id"]
            if mid in media_ids:
                self.assertNotIn(mid, jobs, "two jobs for one upload")
                jobs[mid] = (status, int(attempts), claimed_by)
        self.assertEqual(set(jobs), set(media_ids))
        for mid, (status, attempts, _) in jobs.items():
            self.assertEqual((status, attempts), ("done", 1), "job of %s ran more than once" % mid)
        # Served by an instance that may not be the one that converted it.
        for f in mine.values():
            url = f["thumbnail_url"]
            self.assertTrue(url, f)
            self.assertStatus(self.c.servers[2].call("GET", url, token=self.s.token), 200)

    # ---- 1 ---------------------------------------------------------------------------------

    def test_1_command_crosses_instances_directly_and_through_nginx(self):
        s1, s2, s3 = self.c.servers
        dev = self.s.devices[0]
        p = self.player(url_of(s3), dev, transports=["websocket"])
        m = p.mark()
        r = self.assertStatus(command(s1, self.s.token, dev, "play", "pic.png"), 200)
        got = p.wait_for("player/play", start=m)[0]
        self.assertEqual(got["file"], "pic.png", got)
        self.assertEqual(got["type"], "image", got)
        p.close()

        # Through nginx over TLS (default transports: polling over https://, then the upgrade to
        # wss://; ip_hash keeps the session).
        dev = self.s.devices[1]
        self.assertTrue(self.c.nginx.url().startswith("https://"))
        pn = self.player(self.c.nginx.url(), dev)
        self.wait_transport(pn, "websocket")
        on = self.holder()
        other = next(s for s in self.c.servers if s is not on)
        m = pn.mark()
        self.assertStatus(command(other, self.s.token, dev, "play", "pic.png"), 200)
        self.assertEqual(pn.wait_for("player/play", start=m)[0]["file"], "pic.png")
        # And a command through nginx's REST side (HTTPS).
        m = pn.mark()
        self.assertStatus(command(self.c.nginx, self.s.token, dev, "pause"), 200)
        pn.wait_for("player/pause", start=m)
        del r

    # ---- 2 ---------------------------------------------------------------------------------

    def test_2_presence_agrees_on_every_instance(self):
        s1, s2, s3 = self.c.servers
        dev = self.s.devices[2]
        self.player(url_of(s2), dev, transports=["websocket"])
        for s in self.c.servers:
            r = self.assertStatus(s.call("GET", "/api/v1/devices", token=self.s.token,
                                         query={"status": "online", "limit": 100}), 200)
            ids = [d["device_id"] for d in r.json()["items"]]
            self.assertIn(dev, ids, "instance %d: %r" % (s.port, r))
            c = self.control(url_of(s), transports=["websocket"])
            snap = c.wait_for("players/onlineSnapshot")[0]
            self.assertIn(dev, snap, "instance %d snapshot %r" % (s.port, snap))

    # ---- 3 ---------------------------------------------------------------------------------

    def test_3_cache_invalidation_crosses_instances(self):
        s1, s2, s3 = self.c.servers
        dev = self.s.devices[3]

        def name_on_2():
            r = self.assertStatus(s2.call("GET", "/api/v1/devices", token=self.s.token, query={"limit": 100}), 200)
            return {d["device_id"]: d["name"] for d in r.json()["items"]}[dev]

        before = name_on_2()
        self.assertEqual(before, name_on_2())  # second read: served from the cache
        new = unique("Renamed")
        self.assertStatus(s1.call("PATCH", "/api/v1/devices/" + dev, {"name": new}, token=self.s.token), 200)
        self.assertEqual(name_on_2(), new)

    # ---- 4 ---------------------------------------------------------------------------------

    def test_4_killed_instance_player_reconnects_through_nginx_with_its_state(self):
        dev = self.s.devices[1]
        p = self.player(self.c.nginx.url(), dev, transports=["websocket"], reconnection=True)  # wss://
        self.assertEqual(p.sio.transport(), "websocket")
        on = self.holder()
        other = next(s for s in self.c.servers if s is not on)
        # A second screen on the same instance that does not come back, and a panel elsewhere.
        gone = self.s.devices[2]
        self.player(url_of(on), gone, transports=["websocket"], reconnection=False)
        panel = self.control(url_of(other), transports=["websocket"])
        panel_mark = panel.mark()
        m = p.mark()
        self.assertStatus(command(other, self.s.token, dev, "play", "pic.png"), 200)
        expected = p.wait_for("player/play", start=m)[0]
        self.assertEqual(expected["file"], "pic.png")

        m = p.mark()
        registered_before = sum(1 for e in p.events if e[0] == "player/registered")
        on.proc.kill()  # SIGKILL
        killed_at = time.monotonic()
        on.proc.wait(timeout=10)
        state = p.wait_for("player/state", start=m, timeout=30)[0]
        p.wait_for("player/registered", start=m, timeout=10)
        self.assertGreater(sum(1 for e in p.events if e[0] == "player/registered"), registered_before)
        self.assertEqual(state.get("file"), "pic.png", state)
        self.assertEqual(state.get("state"), "playing", state)
        new_holder = self.holder()
        self.assertIsNot(new_holder, on)
        # Still controllable from any live instance.
        src = next(s for s in self.c.alive() if s is not new_holder) if len(self.c.alive()) > 1 else new_holder
        m = p.mark()
        self.assertStatus(command(src, self.s.token, dev, "stop"), 200)
        p.wait_for("player/stop", start=m)

        # Nobody held the second screen's connection any more: once the dead instance's presence
        # lease ran out (PRESENCE_TTL_MS), a surviving instance told every panel it is offline.
        args = panel.wait_for("player/offline", lambda a: bool(a) and gone in json.dumps(a[0]),
                              start=panel_mark, timeout=30)
        sys.stderr.write("\n  [cluster] a dead instance's player reported offline %.1f s after the kill\n"
                         % (time.monotonic() - killed_at))
        self.assertTrue(args)
        r = self.assertStatus(other.call("GET", "/api/v1/devices", token=self.s.token,
                                         query={"status": "online", "limit": 100}), 200)
        online = {d["device_id"] for d in r.json()["items"]}
        self.assertNotIn(gone, online)
        self.assertIn(dev, online)  # the one that reconnected is not reported
        self.assertFalse(any(e[0] == "player/offline" and dev in json.dumps(e[1]) for e in panel.events[panel_mark:]),
                         "the reconnected player was reported offline")

    # ---- 5 ---------------------------------------------------------------------------------

    def test_5_redis_lost_and_back(self):
        alive = self.c.alive()
        self.assertGreaterEqual(len(alive), 2)
        sender, receiver = alive[0], alive[1]
        dev = self.s.devices[0]
        p = self.player(url_of(receiver), dev, transports=["websocket"], reconnection=True)

        self.c.stop_redis()
        for s in alive:
            r = self.assertStatus(s.login(self.s.users["operator"], USER_PASSWORD), 200)
            tok = r.json()["access_token"]
            self.assertStatus(s.call("GET", "/api/v1/devices", token=tok), 200)
            deadline = time.monotonic() + 10
            while True:
                doc = s.call("GET", "/readyz").json()
                if "unavailable" in str(doc["checks"].get("redis", "")) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertIn("unavailable", str(doc["checks"].get("redis")), doc)
            self.assertEqual(doc["status"], "ready", doc)

        self.c.redis_url = self.c.start_redis()  # same port
        started = time.monotonic()
        arrived = None
        while time.monotonic() - started < 15 and arrived is None:
            m = p.mark()
            command(sender, self.s.token, dev, "play", "pic.png")
            try:
                p.wait_for("player/play", start=m, timeout=1.0)
                arrived = time.monotonic() - started
            except AssertionError:
                pass
        self.assertIsNotNone(arrived, "cross-instance delivery did not resume within 15 s of Redis returning")
        self.assertLess(arrived, 12.0)
        sys.stderr.write("\n  [cluster] delivery resumed %.1f s after Redis restarted\n" % arrived)
        for s in alive:
            deadline = time.monotonic() + 10
            while s.call("GET", "/readyz").json()["checks"].get("redis") != "ok" and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(s.call("GET", "/readyz").json()["checks"].get("redis"), "ok")


    # ---- 6 ---------------------------------------------------------------------------------

    def test_6_sigterm_drains_without_losing_a_command(self):
        """SIGTERM with DRAIN_MS: /readyz says draining while requests are still served, then the
        instance stops accepting, its players reconnect through nginx to another one, and every
        command sent through nginx meanwhile succeeds and reaches the player."""
        alive = self.c.alive()
        self.assertGreaterEqual(len(alive), 2)
        dev = self.s.devices[3]
        p = self.player(self.c.nginx.url(), dev, transports=["websocket"], reconnection=True)
        on = self.holder()
        statuses, stop = [], threading.Event()

        def send_commands():
            # Through nginx at 5 per second (its edge limit is 10 per second per address).
            i = 0
            while not stop.is_set():
                r = command(self.c.nginx, self.s.token, dev, "play" if i % 2 == 0 else "pause", "pic.png")
                statuses.append(r.status)
                i += 1
                time.sleep(0.2)

        sender = threading.Thread(target=send_commands)
        sender.start()
        try:
            time.sleep(0.5)
            m = p.mark()
            on.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 1.0
            while True:  # straight to the instance, during the drain (the signal is handled at once)
                drained = on.call("GET", "/readyz")
                if drained.status == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(drained.status, 503, drained.body)
            self.assertEqual(drained.json()["status"], "draining")
            self.assertEqual(on.proc.wait(timeout=20), 0, "the drained instance did not exit cleanly")
            p.wait_for("player/registered", start=m, timeout=15)  # back, on another instance
            time.sleep(1.0)
        finally:
            stop.set()
            sender.join(timeout=10)
        self.assertGreater(len(statuses), 5)
        self.assertEqual([s for s in statuses if s != 200], [], "commands refused during the drain: %r" % statuses)
        self.assertIsNot(self.holder(), on)
        m = p.mark()
        self.assertStatus(command(self.c.nginx, self.s.token, dev, "stop"), 200)
        p.wait_for("player/stop", start=m)


if __name__ == "__main__":
    api_support.run_main()
