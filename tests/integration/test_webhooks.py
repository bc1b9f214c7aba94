#!/usr/bin/python3
"""Signed webhooks (issue 15) against the real server binary and a real HTTP receiver on 127.0.0.1.

Covers: registration (the secret shown once), signed deliveries for a device created, a player coming
online and going offline (python-socketio) and a media upload, verified with the Python example of
docs/operations.md ("Webhooks") taken from the file; retries after a 500; a delivery that survives a
server restart between a failed attempt and its retry; the delivery log; redelivery (same id, same
body); disabling after repeated failure with its audit entry; the SSRF guard (a loopback URL refused
without WEBHOOK_ALLOW_HOSTS, at registration and at delivery); tenancy and roles.
"""

import http.server
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, stop_process, unique  # noqa: E402

import socketio  # noqa: E402  (python3-socketio)

WAIT = 30.0
BACKOFF_MS = 2500  # long enough to stop the server between a failed attempt and its retry

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATIONS_MD = os.path.join(HERE, "..", "..", "docs", "operations.md")


def docs_verify():
    """The `verify` function of the Python example in docs/operations.md, section Webhooks."""
    text = open(OPERATIONS_MD, encoding="utf-8").read()
    section = text[text.index("\n## Webhooks"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(code, scope)  # noqa: S102 - our own documentation
    return scope["verify"]


VERIFY = docs_verify()


class Receiver:
    """An HTTP server recording every request; answers with scripted status codes per path."""

    def __init__(self):
        self.requests = []  # dicts: path, headers (as sent), body, at
        self.script = {}    # path → list of status codes to answer in turn (then 200)
        self.always = {}    # path → status for every request
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with receiver.cond:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                              "body": body, "at": time.time()})
                    queue = receiver.script.get(self.path)
                    status = queue.pop(0) if queue else receiver.always.get(self.path, 200)
                    receiver.cond.notify_all()
                payload = b'{"ok":true}' if status < 300 else b'{"error":"scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def on(self, path):
        with self.cond:
            return [r for r in self.requests if r["path"] == path]

    def wait(self, path, pred=lambda r: True, count=1, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if r["path"] == path and pred(r)]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("receiver: %d of %d requests on %s after %.0f s; all: %r" % (
                        len(got), count, path, timeout, [(r["path"], r["headers"].get("X-VideoControl-Event"))
                                                         for r in self.requests]))
                self.cond.wait(left)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RestartableServer(Server):
    def restart(self, env=None):
        """Stops the process and starts it again on the same data folder and port."""
        stop_process(self.proc)
        self._log.close()
        self.env.update(env or {})
        for k, v in list(self.env.items()):
            if v is None:
                del self.env[k]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([api_support.BINARY], cwd=self.data_dir, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def stop(self):
        stop_process(self.proc)

    def start_again(self):
        self._log.close()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([api_support.BINARY], cwd=self.data_dir, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()


def png_1x1():
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)
    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(field, filename, data):
    boundary = "vcwebhook" + os.urandom(8).hex()
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n") % (boundary, field, filename)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, body


class WebhookTests(ApiTestCase):
    ENV = {
        "RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "WEBHOOK_BACKOFF_MS": str(BACKOFF_MS), "WEBHOOK_BACKOFF_MAX_MS": str(BACKOFF_MS),
        "WEBHOOK_MAX_ATTEMPTS": "2", "WEBHOOK_DISABLE_AFTER": "2",
        "PLAYER_TIMEOUT_MS": "5000",
    }

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.server = RestartableServer(env=cls.ENV)
        try:
            cls._populate()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.receiver.close()

    @classmethod
    def _populate(cls):
        s = cls.server
        cls.super_token = s.token("admin", ADMIN_PASSWORD)["access_token"]
        cls.orgs, cls.admins, cls.operators = {}, {}, {}
        for name in ("a", "b"):
            r = s.call("POST", "/api/v1/organizations", {"name": "Org " + name, "slug": unique("wh-" + name), "plan": "PRO"},
                       token=cls.super_token)
            assert r.status == 201, repr(r)
            cls.orgs[name] = r.json()["id"]
            for role, store in (("admin", cls.admins), ("operator", cls.operators)):
                username = unique("wh-%s-%s" % (name, role))
                r = s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD, "role": role,
                                                     "organization_id": cls.orgs[name]}, token=cls.super_token)
                assert r.status == 201, repr(r)
                store[name] = username

    def tok(self, org="a", role="admin"):
        names = self.admins if role == "admin" else self.operators
        return self.server.token(names[org])["access_token"]

    def register(self, path, events, org="a"):
        r = self.assertStatus(self.server.call("POST", "/api/v1/webhooks", {"url": self.receiver.url(path), "events": events},
                                               token=self.tok(org)), 201)
        hook = r.json()
        self.assertTrue(hook["secret"].startswith("whsec_"), hook)
        return hook

    def deliveries(self, hook_id, org="a"):
        r = self.assertStatus(self.server.call("GET", "/api/v1/webhooks/%s/deliveries" % hook_id, token=self.tok(org)), 200)
        return r.json()["items"]

    def wait_delivery(self, hook_id, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            items = self.deliveries(hook_id)
            for d in items:
                if pred(d):
                    return d
            if time.monotonic() > deadline:
                self.fail("no delivery matching after %.0f s: %r" % (timeout, items))
            time.sleep(0.2)

    def assertSigned(self, request, secret, event=None):
        h = request["headers"]
        self.assertTrue(VERIFY(secret, h, request["body"]), "signature does not verify: %r" % h)
        self.assertFalse(VERIFY("whsec_wrong", h, request["body"]))
        doc = json.loads(request["body"])
        self.assertEqual(doc["id"], h["X-VideoControl-Delivery"])
        self.assertEqual(doc["event"], h["X-VideoControl-Event"])
        self.assertEqual(h["Content-Type"], "application/json")
        if event:
            self.assertEqual(doc["event"], event)
        return doc

    # ------------------------------------------------------------------

    def test_registration_shows_the_secret_once_and_checks_input(self):
        hook = self.register("/reg", ["device.online"])
        r = self.assertStatus(self.server.call("GET", "/api/v1/webhooks/%s" % hook["id"], token=self.tok()), 200)
        self.assertNotIn("secret", r.json())
        self.assertNotIn(hook["secret"], r.body.decode())
        r = self.assertStatus(self.server.call("GET", "/api/v1/webhooks", token=self.tok()), 200)
        self.assertIn(hook["id"], [h["id"] for h in r.json()["items"]])
        self.assertNotIn(hook["secret"], r.body.decode())
        for bad in ({"url": "ftp://127.0.0.1/", "events": ["device.online"]},
                    {"url": self.receiver.url("/x"), "events": []},
                    {"url": self.receiver.url("/x"), "events": ["no.such"]},
                    {"url": "http://user:pw@127.0.0.1/", "events": ["device.online"]},
                    {"url": self.receiver.url("/x")}):
            self.assertStatus(self.server.call("POST", "/api/v1/webhooks", bad, token=self.tok()), 400, "invalid", repr(bad))
        r = self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/rotate-secret" % hook["id"], token=self.tok()), 200)
        self.assertNotEqual(r.json()["secret"], hook["secret"])
        self.assertStatus(self.server.call("PATCH", "/api/v1/webhooks/%s" % hook["id"], {"events": ["device.offline"]},
                                           token=self.tok()), 200)
        audit = self.assertStatus(self.server.call("GET", "/api/v1/audit", token=self.tok(),
                                                   query={"object_id": hook["id"]}), 200).json()["items"]
        self.assertEqual({"webhook.create", "webhook.rotate_secret", "webhook.update"}, {e["action"] for e in audit})
        self.assertStatus(self.server.call("DELETE", "/api/v1/webhooks/%s" % hook["id"], token=self.tok()), 204)
        self.assertStatus(self.server.call("GET", "/api/v1/webhooks/%s" % hook["id"], token=self.tok()), 404)

    def test_device_online_offline_and_media_deliveries_are_signed(self):
        hook = self.register("/events", ["device.created", "device.online", "device.offline", "media.added", "media.ready"])
        secret = hook["secret"]
        device = unique("wh-dev")
        self.assertStatus(self.server.call("POST", "/api/v1/devices", {"device_id": device, "name": "Lobby"},
                                           token=self.tok()), 201)
        ev = lambda name: (lambda r: r["headers"].get("X-VideoControl-Event") == name)  # noqa: E731
        created = self.assertSigned(self.receiver.wait("/events", ev("device.created"))[0], secret, "device.created")
        self.assertEqual(created["data"]["device_id"], device)
        self.assertEqual(created["organization_id"], self.orgs["a"])

        sio = socketio.Client(reconnection=False)
        registered = threading.Event()
        sio.on("player/registered", lambda *a: registered.set())
        sio.connect("http://127.0.0.1:%d" % self.server.port, wait_timeout=WAIT)
        sio.emit("player/register", {"device_id": device, "device_type": "test", "platform": "python-socketio"})
        self.assertTrue(registered.wait(WAIT), "player not registered")
        online = self.assertSigned(self.receiver.wait("/events", ev("device.online"))[0], secret, "device.online")
        self.assertEqual(online["data"]["device_id"], device)
        sio.disconnect()
        offline = self.assertSigned(self.receiver.wait("/events", ev("device.offline"))[0], secret, "device.offline")
        self.assertEqual(offline["data"]["device_id"], device)

        ctype, body = multipart("files", "red.png", png_1x1())
        self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/media" % device, body, token=self.tok(),
                                           headers={"Content-Type": ctype}), 201)
        added = self.assertSigned(self.receiver.wait("/events", ev("media.added"))[0], secret, "media.added")
        self.assertEqual(added["data"]["name"], "red.png")
        ready = self.assertSigned(self.receiver.wait("/events", ev("media.ready"), timeout=60)[0], secret, "media.ready")
        self.assertEqual(ready["data"]["media_id"], added["data"]["media_id"])
        # Exactly one delivery per event (one instance fans out), each with its own id.
        ids = [r["headers"]["X-VideoControl-Delivery"] for r in self.receiver.on("/events")]
        self.assertEqual(len(ids), len(set(ids)), ids)
        log = self.deliveries(hook["id"])
        self.assertTrue(all(d["status"] == "succeeded" and d["response_code"] == 200 for d in log
                            if d["id"] in ids), log)

    def webhook_job_counters(self):
        """(completed, failed) webhook.deliver jobs from this instance's /metrics."""
        text = self.server.call("GET", "/metrics").body.decode()
        get = lambda name: float(re.search(r'^%s\{kind="webhook.deliver"\} (\S+)$' % name, text, re.M).group(1))  # noqa: E731
        return get("videocontrol_jobs_completed_total"), get("videocontrol_jobs_failures_total")

    def test_a_500_is_retried_with_the_same_delivery_id_and_redelivery_resends_it(self):
        completed0, failed0 = self.webhook_job_counters()
        hook = self.register("/retry", ["device.created"])
        self.receiver.script["/retry"] = [500]
        r = self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/test" % hook["id"], token=self.tok()), 202)
        delivery = r.json()
        self.assertEqual(delivery["event"], "ping")
        got = self.receiver.wait("/retry", count=2)
        self.assertEqual({g["headers"]["X-VideoControl-Delivery"] for g in got}, {delivery["id"]})
        self.assertEqual(got[0]["body"], got[1]["body"])
        self.assertGreaterEqual(got[1]["at"] - got[0]["at"], BACKOFF_MS / 1000.0 * 0.9, "retried before the back-off")
        for g in got:
            self.assertSigned(g, hook["secret"], "ping")
        done = self.wait_delivery(hook["id"], lambda d: d["id"] == delivery["id"] and d["status"] == "succeeded")
        self.assertEqual(done["attempts"], 2)
        self.assertEqual(done["response_code"], 200)
        # /metrics counts the failed attempt and the success (other tests' deliveries may add more).
        completed, failed = self.webhook_job_counters()
        self.assertGreaterEqual(failed - failed0, 1)
        self.assertGreaterEqual(completed - completed0, 1)
        # Redelivery: the same id and body again.
        self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/deliveries/%s/redeliver" % (hook["id"], delivery["id"]),
                                           token=self.tok()), 202)
        again = self.receiver.wait("/retry", count=3)[2]
        self.assertEqual(again["headers"]["X-VideoControl-Delivery"], delivery["id"])
        self.assertEqual(again["body"], got[0]["body"])
        self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/deliveries/%s/redeliver" % (hook["id"], "nope"),
                                           token=self.tok()), 404)

    def test_a_delivery_survives_a_restart_between_attempts(self):
        hook = self.register("/restart", ["device.created"])
        self.receiver.script["/restart"] = [503]
        delivery = self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/test" % hook["id"], token=self.tok()),
                                     202).json()
        self.receiver.wait("/restart", count=1)
        self.server.stop()
        stopped = time.time()
        self.assertEqual(len(self.receiver.on("/restart")), 1, "retried before the server stopped")
        time.sleep(BACKOFF_MS / 1000.0)  # the retry falls due while no server runs
        self.assertEqual(len(self.receiver.on("/restart")), 1)
        self.server.start_again()
        got = self.receiver.wait("/restart", count=2)
        self.assertGreater(got[1]["at"], stopped)
        self.assertEqual(got[1]["headers"]["X-VideoControl-Delivery"], delivery["id"])
        self.assertSigned(got[1], hook["secret"], "ping")
        self.wait_delivery(hook["id"], lambda d: d["id"] == delivery["id"] and d["status"] == "succeeded")

    def test_repeated_failure_disables_the_webhook_with_an_audit_entry(self):
        hook = self.register("/down", ["device.created"])
        self.receiver.always["/down"] = 500
        for _ in range(2):  # WEBHOOK_DISABLE_AFTER=2, each delivery fails after 2 attempts
            d = self.assertStatus(self.server.call("POST", "/api/v1/webhooks/%s/test" % hook["id"], token=self.tok()), 202).json()
            self.wait_delivery(hook["id"], lambda x: x["id"] == d["id"] and x["status"] == "failed", timeout=WAIT)
        h = self.assertStatus(self.server.call("GET", "/api/v1/webhooks/%s" % hook["id"], token=self.tok()), 200).json()
        self.assertFalse(h["enabled"], h)
        self.assertIn("500", h["disabled_reason"])
        failed = [x for x in self.deliveries(hook["id"]) if x["status"] == "failed"]
        self.assertTrue(all(x["response_code"] == 500 and x["attempts"] == 2 for x in failed), failed)
        audit = self.assertStatus(self.server.call("GET", "/api/v1/audit", token=self.tok(),
                                                   query={"action": "webhook.disable", "object_id": hook["id"]}), 200).json()
        self.assertEqual(len(audit["items"]), 1, audit)
        self.assertEqual(audit["items"][0]["actor_kind"], "system")
        # Events no longer reach a disabled webhook; enabling it clears the count.
        before = len(self.receiver.on("/down"))
        self.assertStatus(self.server.call("POST", "/api/v1/devices", {"device_id": unique("wh-off")}, token=self.tok()), 201)
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.on("/down")), before)
        h = self.assertStatus(self.server.call("PATCH", "/api/v1/webhooks/%s" % hook["id"], {"enabled": True},
                                               token=self.tok()), 200).json()
        self.assertTrue(h["enabled"])
        self.assertEqual(h["failure_count"], 0)
        self.assertIsNone(h["disabled_reason"])

    def test_tenancy_and_roles(self):
        hook = self.register("/tenancy", ["device.created"])
        other = self.tok("b")
        for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/test"),
                             ("GET", "/deliveries")):
            body = {"enabled": False} if method == "PATCH" else None
            self.assertStatus(self.server.call(method, "/api/v1/webhooks/%s%s" % (hook["id"], path), body, token=other),
                              404, "not_found", method + path)
        r = self.assertStatus(self.server.call("GET", "/api/v1/webhooks", token=other), 200)
        self.assertNotIn(hook["id"], [h["id"] for h in r.json()["items"]])
        self.assertStatus(self.server.call("GET", "/api/v1/webhooks", token=self.tok("a", "operator")), 403)
        self.assertStatus(self.server.call("POST", "/api/v1/webhooks", {"url": self.receiver.url("/op"), "events": ["device.created"]},
                                           token=self.tok("a", "operator")), 403)
        # B's devices do not reach A's webhook.
        self.assertStatus(self.server.call("POST", "/api/v1/devices", {"device_id": unique("wh-b")}, token=other), 201)
        time.sleep(1.0)
        self.assertEqual(self.receiver.on("/tenancy"), [])


class SsrfTests(ApiTestCase):
    """No WEBHOOK_ALLOW_HOSTS: loopback and internal addresses are refused."""

    def test_internal_addresses_are_refused_at_registration_and_at_delivery(self):
        receiver = Receiver()
        server = RestartableServer(env={"WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "WEBHOOK_BACKOFF_MS": "60000"})
        try:
            token = server.token("admin", ADMIN_PASSWORD)["access_token"]
            # Allowed while the allow-list names it…
            r = self.assertStatus(server.call("POST", "/api/v1/webhooks", {"url": receiver.url("/ssrf"), "events": ["device.created"]},
                                              token=token), 201)
            hook = r.json()
            # … and refused once it does not.
            server.restart(env={"WEBHOOK_ALLOW_HOSTS": None})
            for url in (receiver.url("/ssrf"), "http://localhost:%d/" % receiver.port, "http://169.254.169.254/latest/meta-data/",
                        "http://10.0.0.1/", "http://[::1]:%d/" % receiver.port, "http://0.0.0.0/", "http://100.64.0.1/",
                        "http://[::ffff:127.0.0.1]/", "http://192.168.1.1/"):
                r = self.assertStatus(server.call("POST", "/api/v1/webhooks", {"url": url, "events": ["device.created"]},
                                                  token=token), 400, "invalid", url)
                self.assertIn("WEBHOOK_ALLOW_HOSTS", r.json()["error"]["message"])
            d = self.assertStatus(server.call("POST", "/api/v1/webhooks/%s/test" % hook["id"], token=token), 202).json()
            deadline = time.monotonic() + WAIT
            while True:
                items = server.call("GET", "/api/v1/webhooks/%s/deliveries" % hook["id"], token=token).json()["items"]
                mine = [x for x in items if x["id"] == d["id"] and x["attempts"] >= 1]
                if mine:
                    break
                self.assertLess(time.monotonic(), deadline, items)
                time.sleep(0.2)
            self.assertIn("may not reach", mine[0]["last_error"])
            self.assertIsNone(mine[0]["response_code"])
            self.assertEqual(receiver.on("/ssrf"), [], "a refused address was called")
        finally:
            server.cleanup()
            receiver.close()


if __name__ == "__main__":
    api_support.run_main()
