#!/usr/bin/python3
"""Issue 14: the real vcctl binary against the real server (remote mode) and against the same
installation's database (local mode): every command group, --json parsed, exit codes, errors on
stderr, the saved session's file mode, the upload progress bar on a pty and none on a pipe, shell
completion. With VC_TEST_POSTGRES_URL the server and local mode use a fresh PostgreSQL database.

Run: test_vcctl.py --binary path/to/videocontrol-server (vcctl from VC_VCCTL or next to it).
"""

import hashlib
import hmac
import http.server
import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, unique  # noqa: E402
from test_realtime import Player, World  # noqa: E402

VCCTL = None


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True, timeout=60)


class Vcctl:
    """Runs vcctl with its own config folder (profiles) and returns (exit code, stdout, stderr)."""

    def __init__(self, home):
        self.home = home
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                    "XDG_CONFIG_HOME": os.path.join(home, "cfg"), "LANG": "C.UTF-8"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB"):
            if k in os.environ:
                self.env[k] = os.environ[k]

    def run(self, *args, stdin=None, env=None):
        e = dict(self.env, **(env or {}))
        p = subprocess.run([VCCTL, *args], input=stdin.encode() if stdin is not None else None,
                           stdin=None if stdin is not None else subprocess.DEVNULL,
                           capture_output=True, env=e, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def json(self, *args, **kw):
        rc, out, err = self.run("--json", *args, **kw)
        assert rc == 0, "vcctl --json %s -> %d\n%s\n%s" % (" ".join(args), rc, out, err)
        return json.loads(out)

    def on_pty(self, *args):
        """Runs vcctl with stdout and stderr on a pseudo-terminal; returns (exit code, what it showed)."""
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.execve(VCCTL, [VCCTL, *args], self.env)
        chunks = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


class VcctlTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                 "PROCESSING_WORKERS": "0", "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
                                 "WEBHOOK_BACKOFF_MS": "200", "WEBHOOK_MAX_ATTEMPTS": "2"})
        try:
            cls.w = World(cls.server, orgs=("a",), devices_per_org=2)
            cls.url = "http://127.0.0.1:%d" % cls.server.port
            cls.tmp = tempfile.mkdtemp(prefix="vcctl-test-")
            cls.admin = Vcctl(os.path.join(cls.tmp, "admin"))
            rc, out, err = cls.admin.run("login", "--server", cls.url, "--username", "admin", "--password-stdin",
                                         stdin=ADMIN_PASSWORD + "\n")
            assert rc == 0, (rc, out, err)
            # Media fixtures made by FFmpeg.
            cls.files = os.path.join(cls.tmp, "files")
            os.makedirs(os.path.join(cls.files, "deck", "more"))
            ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "2", "-pix_fmt", "yuv420p",
                   os.path.join(cls.files, "clip.mp4"))
            ffmpeg("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", os.path.join(cls.files, "deck", "red.png"))
            ffmpeg("-f", "lavfi", "-i", "color=blue:size=64x64", "-frames:v", "1",
                   os.path.join(cls.files, "deck", "more", "blue.png"))
            # Big enough that the progress bar is drawn several times (a few MiB of noise).
            ffmpeg("-f", "lavfi", "-i", "color=green:size=64x64", "-frames:v", "1", os.path.join(cls.files, "green.png"))
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def local_args(self):
        """The flags that open the server's installation in local mode."""
        url = self.server.env.get("DATABASE_URL")
        args = ["--data-dir", self.server.data_dir]
        if url:
            args += ["--database-url", url]
        return args + ["--organization", self.w.orgs["a"]["slug"]]

    def operator(self):
        """vcctl signed in as organisation a's operator."""
        v = Vcctl(os.path.join(self.tmp, unique("op")))
        rc, out, err = v.run("login", "-s", self.url, "-u", self.w.users["a"]["operator"]["username"], "--password-stdin",
                             stdin=USER_PASSWORD + "\n")
        self.assertEqual(rc, 0, err)
        return v

    # ---- basics ------------------------------------------------------------------------------

    def test_version_help_and_usage_errors(self):
        v = self.admin
        rc, out, _ = v.run("version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^vcctl \d+\.\d+\.\d+ \(library \d+\.\d+\.\d+, schema \d+\)")
        self.assertEqual(v.json("version")["vcctl"], out.split()[1])
        rc, out, _ = v.run("--version")
        self.assertEqual((rc, out.strip()), (0, "vcctl " + v.json("version")["vcctl"]))
        # --help on every command of the tree, found through the completion script's word lists.
        for cmd in (["devices", "ls"], ["media", "upload"], ["users", "passwd"], ["api-keys", "create"], ["play"],
                    ["timeline"], ["audit"], ["orgs", "add"], ["groups", "add"], ["schedules", "ls"], ["completion"]):
            rc, out, err = v.run(*cmd, "--help")
            self.assertEqual(rc, 0, (cmd, err))
            self.assertIn("Usage:", out, cmd)
        for bad in (["frobnicate"], ["devices"], ["devices", "add"], ["page", "x", "0"], ["audit", "--limit", "999"]):
            rc, out, err = v.run(*bad)
            self.assertEqual(rc, 2, (bad, out, err))
            self.assertTrue(err.strip(), bad)
            self.assertEqual(out, "", bad)

    def test_session_file_is_private_and_logout_ends_it(self):
        v = Vcctl(os.path.join(self.tmp, unique("sess")))
        rc, out, err = v.run("login", "--server", self.url + "/", "-u", "admin", "--password-stdin", stdin="wrong\n")
        self.assertEqual(rc, 4, (out, err))
        self.assertTrue(err.startswith("vcctl: "), err)
        rc, out, err = v.run("--json", "login", "--server", self.url, "-u", "admin", "--password-stdin",
                             stdin=ADMIN_PASSWORD + "\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["username"], "admin")
        path = os.path.join(v.home, "cfg", "vcctl", "profiles.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        saved = read_json(path)
        self.assertEqual(saved["profiles"]["default"]["server"], self.url)
        self.assertTrue(saved["profiles"]["default"]["refresh_token"])
        self.assertEqual(v.json("whoami")["role"], "superadmin")
        # An expired access token is refreshed with the saved refresh token, which is replaced.
        saved["profiles"]["default"]["access_expires_at"] = 0
        with open(path, "w") as f:
            json.dump(saved, f)
        old_refresh = saved["profiles"]["default"]["refresh_token"]
        self.assertEqual(v.json("whoami")["username"], "admin")
        self.assertNotEqual(read_json(path)["profiles"]["default"]["refresh_token"], old_refresh)
        rc, out, err = v.run("logout")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("default", read_json(path)["profiles"])
        rc, out, err = v.run("devices", "ls")
        self.assertEqual(rc, 2, (out, err))  # no server named any more
        self.assertIn("vcctl login", err)
        rc, out, err = v.run("--server", self.url, "devices", "ls")
        self.assertEqual(rc, 4, (out, err))
        self.assertIn("not signed in", err)

    def test_unreachable_server_and_bad_api_key(self):
        port = api_support.free_port()
        rc, out, err = self.admin.run("--server", "http://127.0.0.1:%d" % port, "devices", "ls", env={"VC_API_KEY": "x"})
        self.assertEqual(rc, 6, (out, err))
        self.assertIn("no answer", err)
        self.assertIn("--server", err)
        rc, out, err = self.admin.run("--server", self.url, "devices", "ls", env={"VC_API_KEY": "vck_not_a_key"})
        self.assertEqual(rc, 4, (out, err))
        rc, out, err = self.admin.run("--server", "ftp://x", "devices", "ls", env={"VC_API_KEY": "x"})
        self.assertEqual(rc, 2, (out, err))

    # ---- devices, users, keys, organisations -------------------------------------------------

    def test_devices_lifecycle_and_exit_codes(self):
        op = self.operator()
        d = unique("cli-dev")
        rc, out, err = op.run("devices", "add", d, "--name", "Экран в холле")
        self.assertEqual(rc, 0, err)
        self.assertIn(d, out)
        rc, out, err = op.run("devices", "add", d)
        self.assertEqual(rc, 5, (out, err))
        rc, out, err = op.run("devices", "add", "bad id!")
        self.assertEqual(rc, 2, (out, err))
        listed = {x["device_id"]: x for x in op.json("devices", "ls")}
        self.assertEqual(listed[d]["name"], "Экран в холле")
        self.assertEqual(listed[d]["status"], "offline")
        self.assertEqual(set(listed), set(self.w.devices["a"]) | {d}, "only organisation a's devices")
        rc, out, _ = op.run("devices", "ls")
        header, *rows = out.splitlines()
        self.assertEqual(header.split(), ["DEVICE", "NAME", "STATUS", "PLAYING", "LAST", "SEEN", "CREDENTIAL"])
        self.assertTrue(any(r.startswith(d + " ") and "Экран в холле" in r for r in rows), out)
        rc, out, _ = op.run("-q", "devices", "ls")
        self.assertEqual(sorted(out.split()), sorted(listed))
        self.assertEqual(op.run("devices", "show", "no-such-device")[0], 3)
        self.assertEqual(op.json("devices", "rename", d, "Lobby")["name"], "Lobby")
        cred = op.json("devices", "credential", d)["credential"]
        self.assertGreater(len(cred), 16)
        self.assertTrue(op.json("devices", "show", d)["has_credential"])
        self.assertEqual(op.run("devices", "credential", d, "--remove")[0], 0)
        self.assertFalse(op.json("devices", "show", d)["has_credential"])
        rc, out, err = op.run("devices", "rm", d)  # no terminal to ask on: needs --yes
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("--yes", err)
        self.assertEqual(op.run("devices", "rm", d, "--yes")[0], 0)
        self.assertEqual(op.run("devices", "show", d)[0], 3)
        # A viewer may look but not change.
        viewer = Vcctl(os.path.join(self.tmp, unique("viewer")))
        self.assertEqual(viewer.run("login", "-s", self.url, "-u", self.w.users["a"]["viewer"]["username"],
                                    "--password-stdin", stdin=USER_PASSWORD + "\n")[0], 0)
        self.assertEqual(len(viewer.json("devices", "ls")), 2)
        rc, out, err = viewer.run("devices", "add", unique("v"))
        self.assertEqual(rc, 4, (out, err))
        self.assertIn("role", err)

    def test_users_api_keys_and_organisations(self):
        v = self.admin
        slug = unique("cli-org")
        org = v.json("orgs", "add", "CLI Org", "--slug", slug, "--timezone", "Europe/Moscow")
        self.assertEqual((org["slug"], org["timezone"]), (slug, "Europe/Moscow"))
        self.assertIn(slug, [o["slug"] for o in v.json("orgs", "ls")])
        self.assertEqual(v.run("orgs", "add", "Again", "--slug", slug)[0], 5)
        # The superadmin acts in the new organisation with --organization.
        name = unique("cli-user")
        rc, out, err = v.run("-o", slug, "users", "add", name, "--role", "operator", "--password-stdin",
                             stdin="Cli-user-pw-123\n")
        self.assertEqual(rc, 0, err)
        users = {u["username"]: u for u in v.json("-o", slug, "users", "ls")}
        self.assertEqual(users[name]["role"], "operator")
        self.assertEqual(users[name]["organization_id"], org["id"])
        self.assertEqual(v.json("-o", slug, "users", "role", name, "speaker")["role"], "speaker")
        self.assertFalse(v.json("-o", slug, "users", "disable", name)["active"])
        self.assertEqual(self.server.call("POST", "/api/v1/auth/login", {"username": name, "password": "Cli-user-pw-123"}).status, 403)
        self.assertTrue(v.json("-o", slug, "users", "enable", name)["active"])
        self.assertEqual(self.server.call("POST", "/api/v1/auth/login", {"username": name, "password": "Cli-user-pw-123"}).status, 200)
        self.assertEqual(v.run("-o", slug, "users", "rm", "nobody-" + name, "--yes")[0], 3)
        self.assertEqual(v.run("-o", slug, "users", "rm", name, "--yes")[0], 0)
        # API keys: the secret works as VC_API_KEY until revoked.
        key = v.json("-o", slug, "api-keys", "create", "cli-script", "--scopes", "read,write")
        self.assertEqual(sorted(key["scopes"]), ["read", "write"])
        k = Vcctl(os.path.join(self.tmp, unique("key")))
        env = {"VC_API_KEY": key["key"], "VC_SERVER": self.url}
        self.assertEqual(k.run("devices", "add", "kdev", env=env)[0], 0)
        self.assertEqual([d["device_id"] for d in k.json("devices", "ls", env=env)], ["kdev"])
        listed = v.json("-o", slug, "api-keys", "ls")
        self.assertEqual([x["name"] for x in listed], ["cli-script"])
        self.assertNotIn("key", listed[0], "the secret is shown only once")
        self.assertEqual(v.run("-o", slug, "api-keys", "revoke", "cli-script")[0], 0)
        self.assertEqual(k.run("devices", "ls", env=env)[0], 4)
        self.assertEqual(v.run("-o", "no-such-org", "devices", "ls")[0], 3)
        self.assertEqual(v.run("orgs", "rm", slug, "--yes")[0], 0)
        self.assertNotIn(slug, [o["slug"] for o in v.json("orgs", "ls")])

    def test_webhooks_commands(self):
        """vcctl webhooks: add (secret once), ls, show, test, deliveries, set, rotate-secret,
        redeliver, rm; a receiver on loopback checks each delivery's signature."""
        received, answer = [], {"status": 200}

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                self.send_response(answer["status"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        url = "http://127.0.0.1:%d/hook" % httpd.server_address[1]
        v, slug = self.admin, self.w.orgs["a"]["slug"]

        def wait_for(pred, what, timeout=20):
            deadline = time.time() + timeout
            while time.time() < deadline:
                got = pred()
                if got:
                    return got
                time.sleep(0.1)
            self.fail(what)

        def signed_by(secret, headers, body):
            mac = hmac.new(secret.encode(), headers["x-videocontrol-timestamp"].encode() + b"." + body, hashlib.sha256)
            return headers["x-videocontrol-signature"] == "sha256=" + mac.hexdigest()

        rc, out, err = v.run("-o", slug, "webhooks", "add", url, "--events", "device.created,media.ready")
        self.assertEqual(rc, 0, err)
        lines = out.strip().splitlines()
        self.assertIn("shown only now", lines[0])
        secret = lines[-1]
        hook = v.json("-o", slug, "webhooks", "ls")
        self.assertEqual([(h["url"], h["events"], h["enabled"]) for h in hook],
                         [(url, ["device.created", "media.ready"], True)])
        self.assertNotIn("secret", hook[0])
        hid = hook[0]["id"]
        admin_token = self.server.token("admin", ADMIN_PASSWORD)["access_token"]

        def api_log():  # polled through the API (cheap); vcctl's own view is checked once below
            r = self.server.call("GET", "/api/v1/webhooks/%s/deliveries" % hid, token=admin_token)
            return r.json()["items"] if r.status == 200 else []
        rc, out, err = v.run("-o", slug, "webhooks", "ls")
        self.assertEqual(out.splitlines()[0].split()[:3], ["URL", "EVENTS", "STATE"])
        self.assertIn("device.created,media.ready", out)
        rc, out, err = v.run("-o", slug, "webhooks", "show", url)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"events:\s+device.created,media.ready")
        # A real event and a ping, both signed with the secret.
        self.assertEqual(v.run("-o", slug, "devices", "add", unique("hooked"))[0], 0)
        ping = v.json("-o", slug, "webhooks", "test", hid)
        self.assertEqual(ping["event"], "ping")
        wait_for(lambda: {h["x-videocontrol-event"] for h, _ in received} >= {"ping", "device.created"}, "no deliveries")
        self.assertTrue(all(signed_by(secret, h, b) for h, b in received), received)
        log = wait_for(lambda: [d for d in api_log() if d["id"] == ping["id"] and d["status"] == "succeeded"],
                       "ping not succeeded")
        self.assertEqual(log[0]["response_code"], 200)
        rc, out, err = v.run("-o", slug, "webhooks", "deliveries", hid)
        self.assertEqual(out.splitlines()[0].split()[:4], ["TIME", "EVENT", "STATUS", "ATTEMPTS"])
        self.assertIn("succeeded", out)
        # Redelivered: the same delivery id again.
        self.assertEqual(v.json("-o", slug, "webhooks", "redeliver", hid, ping["id"])["id"], ping["id"])
        wait_for(lambda: [h for h, _ in received if h["x-videocontrol-delivery"] == ping["id"]][1:], "not redelivered")
        # A failing receiver: the code lands in the log.
        answer["status"] = 500
        failing = v.json("-o", slug, "webhooks", "test", hid)
        failed = wait_for(lambda: [d for d in api_log() if d["id"] == failing["id"] and d["status"] == "failed"],
                          "no failed delivery")
        self.assertEqual(failed[0]["response_code"], 500)
        answer["status"] = 200
        # A new secret signs from now on.
        rc, out, err = v.run("-o", slug, "webhooks", "rotate-secret", hid)
        self.assertEqual(rc, 0, err)
        new_secret = out.strip().splitlines()[-1]
        self.assertNotEqual(new_secret, secret)
        n = len(received)
        v.json("-o", slug, "webhooks", "test", hid)
        wait_for(lambda: received[n:], "no ping after the rotation")
        self.assertTrue(signed_by(new_secret, *received[n]))
        self.assertFalse(signed_by(secret, *received[n]))
        # set: events, disable, usage errors; refused addresses.
        self.assertEqual(v.json("-o", slug, "webhooks", "set", hid, "--events", "media.ready")["events"], ["media.ready"])
        self.assertFalse(v.json("-o", slug, "webhooks", "set", hid, "--disable")["enabled"])
        rc, out, err = v.run("-o", slug, "webhooks", "set", hid, "--enable", "--disable")
        self.assertEqual(rc, 2)
        self.assertIn("exclude each other", err)
        rc, out, err = v.run("-o", slug, "webhooks", "add", "http://10.1.2.3/x", "--events", "media.ready")
        self.assertEqual(rc, 2, (out, err))
        rc, out, err = v.run("-o", slug, "webhooks", "add", url, "--events", "no.such.event")
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("no.such.event", err)
        # An operator may not manage webhooks.
        rc, out, err = self.operator().run("webhooks", "ls")
        self.assertEqual(rc, 4, (out, err))
        # Russian headings.
        rc, out, err = v.run("-o", slug, "webhooks", "ls", env={"LANGUAGE": "ru"})
        self.assertEqual(out.splitlines()[0].split()[:3], ["URL", "СОБЫТИЯ", "СОСТОЯНИЕ"])
        self.assertIn("отключён", out)
        rc, out, err = v.run("-o", slug, "webhooks", "rm", hid)
        self.assertEqual(rc, 2)
        self.assertEqual(v.run("-o", slug, "webhooks", "rm", url, "--yes")[0], 0)
        self.assertEqual(v.json("-o", slug, "webhooks", "ls"), [])

    # ---- media, playback ---------------------------------------------------------------------

    def test_media_upload_progress_copy_move_placeholder(self):
        op = self.operator()
        a, b = self.w.devices["a"]
        # A folder, recursively, on a pipe: no progress bar, one line per file.
        rc, out, err = op.run("media", "upload", a, os.path.join(self.files, "deck"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertNotIn("\r", out)
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertIn("red.png", out)
        self.assertIn("blue.png", out)
        # --json: the server's items.
        items = op.json("media", "upload", a, os.path.join(self.files, "clip.mp4"))
        self.assertEqual([(i["name"], i["kind"]) for i in items], [("clip.mp4", "video")])
        # On a terminal: a progress bar that reaches 100 %.
        rc, shown = op.on_pty("media", "upload", b, os.path.join(self.files, "green.png"))
        self.assertEqual(rc, 0, shown)
        self.assertIn("green.png [", shown)
        self.assertIn("100%", shown)
        self.assertIn("\r", shown)
        # ... and none with --quiet, which prints the stored names only.
        rc, out, err = op.run("-q", "media", "upload", b, os.path.join(self.files, "deck", "red.png"))
        self.assertEqual((rc, out, err), (0, "red.png\n", ""))
        files = {f["name"]: f for f in op.json("media", "ls", a)}
        self.assertTrue({"red.png", "blue.png", "clip.mp4"} <= set(files), files)
        # cp shares the bytes; mv moves the name; placeholder set, shown, cleared; rm.
        self.assertEqual(op.run("media", "cp", a, "clip.mp4", b)[0], 0)
        self.assertIn("clip.mp4", [f["name"] for f in op.json("media", "ls", b)])
        self.assertEqual(op.run("media", "mv", a, "blue.png", b)[0], 0)
        self.assertNotIn("blue.png", [f["name"] for f in op.json("media", "ls", a)])
        self.assertIn("blue.png", [f["name"] for f in op.json("media", "ls", b)])
        self.assertEqual(op.run("media", "placeholder", b, "blue.png")[0], 0)
        blue = [f for f in op.json("media", "ls", b) if f["name"] == "blue.png"][0]
        self.assertEqual(op.json("media", "placeholder", b)["placeholder_media_id"], blue["id"])
        self.assertEqual(op.run("media", "placeholder", b, "--clear")[0], 0)
        self.assertIsNone(op.json("media", "placeholder", b)["placeholder_media_id"])
        self.assertEqual(op.run("media", "rm", b, "red.png")[0], 0)
        self.assertEqual(op.run("media", "rm", b, "red.png")[0], 3)
        self.assertEqual(op.run("media", "cp", a, "nothing.png", b)[0], 3)
        library = op.json("media", "ls", "--all")
        self.assertTrue({"red.png", "clip.mp4", "green.png"} <= {m["name"] for m in library}, library)
        rc, out, err = op.run("media", "upload", a, os.path.join(self.files, "missing.png"))
        self.assertEqual(rc, 2, (out, err))

    def test_playback_reaches_a_player(self):
        a = self.w.devices["a"][0]
        player = Player(self.w, a)
        try:
            speaker = Vcctl(os.path.join(self.tmp, unique("speaker")))
            self.assertEqual(speaker.run("login", "-s", self.url, "-u", self.w.users["a"]["speaker"]["username"],
                                         "--password-stdin", stdin=USER_PASSWORD + "\n")[0], 0)
            mark = player.mark()
            rc, out, err = speaker.run("play", a, "pic.png")
            self.assertEqual(rc, 0, err)
            self.assertIn("pic.png", out)
            args = player.wait_for("player/play", start=mark)
            self.assertIn("pic.png", json.dumps(args))
            self.assertEqual(speaker.json("pause", a)["state"]["state"], "paused")
            status = speaker.json("status")
            self.assertEqual(status["online"], 1)
            self.assertEqual(status["online_devices"][0]["device_id"], a)
            self.assertEqual(status["online_devices"][0]["now_playing"]["file"], "pic.png")
            rc, out, _ = speaker.run("devices", "ls")
            self.assertRegex(out, r"%s .*online .*pic\.png \(paused\)" % a)
            self.assertEqual(speaker.run("stop", a)[0], 0)
            self.assertEqual(speaker.run("play", a, "no-such-file.png")[0], 3)
            # A group: every member answers.
            g = unique("cli-group")
            self.assertEqual(self.admin.run("-o", self.w.orgs["a"]["slug"], "groups", "add", g, *self.w.devices["a"])[0], 0)
            out = speaker.json("play", "--group", g, "pic.png")
            self.assertEqual(sorted(r["device_id"] for r in out["results"]), sorted(self.w.devices["a"]))
            rc, out, err = speaker.run("play", "--group", g, "pic.png")
            self.assertEqual(rc, 1, "the member without pic.png fails: %s %s" % (out, err))
            self.assertIn(a, out)
            self.assertEqual(speaker.run("stop", "--group", g)[0], 0)
        finally:
            player.close()

    # ---- scheduling, audit, status -----------------------------------------------------------

    def test_timeline_groups_audit_status(self):
        a = self.w.devices["a"][0]
        op = self.operator()
        t = op.json("timeline", a, "--days", "2")
        self.assertEqual(t["device_id"], a)
        self.assertTrue(t["entries"], t)
        self.assertIn(t["entries"][0]["source"], ("placeholder", "nothing", "default_playlist"))
        rc, out, _ = op.run("timeline", a)
        self.assertEqual(rc, 0)
        self.assertIn("time zone", out)
        self.assertEqual(op.run("timeline", "no-such-device")[0], 3)
        self.assertIsInstance(op.json("groups", "ls"), list)
        self.assertIsInstance(op.json("playlists", "ls"), list)
        self.assertIsInstance(op.json("schedules", "ls"), list)
        self.assertIsInstance(op.json("overrides", "ls"), list)
        entries = self.admin.json("-o", self.w.orgs["a"]["slug"], "audit", "--action", "device.create", "--limit", "5")
        self.assertTrue(entries and all(e["action"] == "device.create" for e in entries), entries)
        self.assertEqual(op.run("audit")[0], 4, "operators do not read the audit log")
        status = op.json("status")
        self.assertEqual(status["mode"], "remote")
        self.assertEqual(status["devices"], len(op.json("devices", "ls")))
        self.assertIn(status["backend"], ("sqlite", "postgresql"))
        # PROCESSING_WORKERS=0: every upload of new bytes waits in the pipeline's queue.
        library = op.json("media", "ls", "--all")
        self.assertEqual(status["media"]["total"], len(library))
        self.assertEqual(status["media"]["processing"], sum(1 for m in library if m["status"] == "processing"))
        self.assertGreater(status["media"]["processing"], 0)
        rc, out, _ = op.run("status")
        self.assertRegex(out, r"media: %d files, %d processing" % (len(library), status["media"]["processing"]))

    def test_playlists_schedules_overrides_and_groups(self):
        slug = self.w.orgs["a"]["slug"]
        op = self.operator()
        a, b = self.w.devices["a"]
        name = unique("cli-pl")
        rc, out, err = op.run("playlists", "add", name, "pic.png", "--duration", "15", "--shuffle")
        self.assertEqual(rc, 0, err)
        pl = [p for p in op.json("playlists", "ls") if p["name"] == name][0]
        self.assertEqual((pl["shuffle"], pl["loop"], len(pl["items"]), pl["items"][0]["duration_ms"]), (True, True, 1, 15000))
        shown = op.json("playlists", "show", name)
        self.assertEqual(shown["id"], pl["id"])
        self.assertEqual(op.run("playlists", "add", unique("x"), "no-such-media.png")[0], 3)
        # Weekdays 00:00-24:00 and the weekend too: active now, so the timeline starts with it.
        rc, out, err = op.run("schedules", "add", name, "--device", a, "--hours", "00:00-00:00", "--priority", "7")
        self.assertEqual(rc, 0, err)
        assignment = [x for x in op.json("schedules", "ls") if x["playlist_id"] == pl["id"]][0]
        self.assertEqual((assignment["device_id"], assignment["priority"], assignment["schedule"]["kind"]), (a, 7, "weekly"))
        now = op.json("timeline", a)["entries"][0]
        self.assertEqual((now["source"], now["assignment_id"]), ("assignment", assignment["id"]))
        g = unique("cli-g")
        self.assertEqual(self.admin.run("-o", slug, "groups", "add", g, a)[0], 0)
        rc, out, err = op.run("schedules", "add", name, "--group", g, "--cron", "30 8 * * mon-fri", "--minutes", "30")
        self.assertEqual(rc, 0, err)
        self.assertEqual(op.run("schedules", "add", name, "--device", a, "--group", g)[0], 2)
        self.assertEqual(op.run("schedules", "add", name, "--device", a, "--cron", "61 * * * *")[0], 2)
        # Groups: rename and replace the members.
        renamed = op.json("groups", "set", g, a, b, "--name", g + "-2")
        self.assertEqual((renamed["name"], sorted(renamed["device_ids"])), (g + "-2", sorted([a, b])))
        self.assertEqual(op.json("groups", "set", g + "-2", "--clear")["device_ids"], [])
        # An override: needs --yes off a terminal; shown above the assignment; cleared.
        rc, out, err = op.run("overrides", "add", "--message", "Пожарная тревога")
        self.assertEqual(rc, 2, (out, err))
        ov = op.json("overrides", "add", "--message", "Пожарная тревога", "--yes")
        self.addCleanup(op.run, "overrides", "clear", ov["id"])
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        entry = op.json("timeline", a, "--from", soon)["entries"][0]
        self.assertEqual((entry["source"], entry["message"]), ("override", "Пожарная тревога"))
        self.assertEqual([o["id"] for o in op.json("overrides", "ls")], [ov["id"]])
        self.assertEqual(op.run("overrides", "clear", ov["id"])[0], 0)
        self.assertEqual(op.json("overrides", "ls"), [])
        self.assertEqual(op.run("schedules", "rm", assignment["id"])[0], 0)
        self.assertNotIn(assignment["id"], [x["id"] for x in op.json("schedules", "ls")])
        # Deleting the playlist takes its remaining (group) assignment with it.
        self.assertEqual(op.run("playlists", "rm", name)[0], 0)
        self.assertNotIn(pl["id"], [x["playlist_id"] for x in op.json("schedules", "ls")])
        self.assertEqual(op.run("playlists", "show", name)[0], 3)
        self.assertEqual(op.run("groups", "rm", g + "-2")[0], 0)
        self.assertNotIn(g + "-2", [x["name"] for x in op.json("groups", "ls")])
        self.assertEqual(op.run("groups", "rm", g + "-2")[0], 3)

    def test_every_playback_command(self):
        a = self.w.devices["a"][0]
        op = self.operator()
        self.assertEqual(op.json("play", a, "pic.png")["state"]["file"], "pic.png")
        states = {}
        for cmd in ("pause", "resume", "restart"):
            rc, out, err = op.run("--json", cmd, a)
            self.assertEqual(rc, 0, (cmd, err))
            states[cmd] = json.loads(out)["state"]["state"]
        self.assertEqual(states["pause"], "paused")
        self.assertEqual(states["resume"], "playing")
        # An image has no pages: page, next and prev are refused as invalid input.
        for args in (("page", a, "2"), ("next", a), ("prev", a)):
            rc, out, err = op.run(*args)
            self.assertEqual(rc, 2, (args, out, err))
            self.assertTrue(err.startswith("vcctl: "), err)
        self.assertEqual(op.json("stop", a)["device_id"], a)

    # ---- local mode --------------------------------------------------------------------------

    def test_local_mode_recovers_a_password_while_the_server_runs(self):
        v = Vcctl(os.path.join(self.tmp, unique("local")))
        remote = {d["device_id"] for d in self.admin.json("-o", self.w.orgs["a"]["slug"], "devices", "ls")}
        local = {d["device_id"] for d in v.json(*self.local_args(), "devices", "ls")}
        self.assertEqual(local, remote)
        # A locally created device is in the database at once (the server's cached lists follow within
        # their TTL on the embedded default; docs/cli.md).
        d = unique("local-dev")
        self.assertEqual(v.run(*self.local_args(), "devices", "add", d)[0], 0)
        self.assertEqual(self.admin.json("-o", self.w.orgs["a"]["slug"], "devices", "show", d)["device_id"], d)
        # Reset the operator's password without signing in; the old one stops working.
        user = self.w.users["a"]["operator"]["username"]
        rc, out, err = v.run(*self.local_args(), "users", "passwd", user, "--password-stdin", stdin="Recovered-pw-987\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.server.call("POST", "/api/v1/auth/login", {"username": user, "password": USER_PASSWORD}).status, 401)
        self.assertEqual(self.server.call("POST", "/api/v1/auth/login", {"username": user, "password": "Recovered-pw-987"}).status, 200)
        self.assertEqual(v.run(*self.local_args(), "users", "passwd", user, "--password-stdin", stdin=USER_PASSWORD + "\n")[0], 0)
        self.w.refresh_tokens()
        # The audit log names the installation itself as the actor, from "local".
        entries = v.json(*self.local_args(), "audit", "--action", "user.password_reset", "--limit", "2")
        self.assertTrue(entries, "the reset is audited")
        self.assertEqual((entries[0]["actor_kind"], entries[0]["address"]), ("system", "local"))
        # Upload in local mode too (streamed into the same route).
        items = v.json(*self.local_args(), "media", "upload", d, os.path.join(self.files, "deck", "red.png"))
        self.assertEqual(items[0]["name"], "red.png")
        self.assertEqual(v.json(*self.local_args(), "status")["mode"], "local")
        self.assertEqual(v.json(*self.local_args(), "whoami")["mode"], "local")
        # Errors: no database there; an organisation that does not exist.
        rc, out, err = v.run("--data-dir", os.path.join(self.tmp, "nothing-here"), "devices", "ls")
        self.assertEqual(rc, 3, (out, err))
        self.assertIn("--data-dir", err)
        rc, out, err = v.run(*self.local_args()[:-2], "--organization", "no-such-org", "devices", "ls")
        self.assertEqual(rc, 3, (out, err))
        self.assertIn("no organisation", err)

    def test_migrate_in_local_mode(self):
        v = Vcctl(os.path.join(self.tmp, unique("migrate")))
        db = os.path.join(self.tmp, unique("mig"), "vc.db")
        url = "sqlite://" + db
        rc, out, err = v.run("migrate", "--database-url", url)
        self.assertEqual(rc, 0, err)
        self.assertIn("applied 0001_initial", out)
        rc, out, err = v.run("--json", "migrate", "--database-url", url)
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        self.assertEqual((doc["applied"], doc["from"]), (0, doc["to"]))
        subprocess.run(["sqlite3", db, "INSERT INTO schema_migrations(version,name,applied_at) VALUES (9999,'future',0)"],
                       check=True)
        rc, out, err = v.run("migrate", "--database-url", url)
        self.assertNotEqual(rc, 0)
        self.assertIn("9999", err)
        rc, out, err = v.run("migrate", env={"DATABASE_URL": "mysql://x"})
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("DATABASE_URL", err)

    def test_russian_through_the_catalogue(self):
        """LANGUAGE=ru (the usual gettext variables): tables, confirmations, hints and help in Russian;
        --json and exit codes unchanged."""
        ru = {"LANGUAGE": "ru"}
        op = self.operator()
        rc, out, err = op.run("devices", "ls", env=ru)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0].split()[:3], ["УСТРОЙСТВО", "НАЗВАНИЕ", "СОСТОЯНИЕ"])
        self.assertIn("не в сети", out)
        self.assertEqual(op.json("devices", "ls", env=ru), op.json("devices", "ls"), "--json does not change")
        d = unique("ru-dev")
        rc, out, err = op.run("devices", "add", d, env=ru)
        lines = out.strip().splitlines()
        self.assertEqual((rc, lines[:2]), (0, ["Устройство %s создано." % d, "Ключ устройства %s, показывается только сейчас:" % d]))
        self.assertTrue(lines[2].startswith("vcd_"), out)
        legacy = unique("ru-old")
        rc, out, err = op.run("devices", "add", legacy, "--legacy", env=ru)
        self.assertEqual((rc, out.strip().splitlines()[-1]), (0, "Старый плеер: подключается только по идентификатору, без ключа."))
        rc, out, err = op.run("devices", "legacy", legacy, "--off", env=ru)
        self.assertEqual((rc, out.strip()), (0, "Устройству %s теперь нужен ключ." % legacy))
        self.assertFalse(op.json("devices", "show", legacy)["legacy_player"])
        rc, out, err = op.run("devices", "rm", d, env=ru)
        self.assertEqual(rc, 2)
        self.assertIn("нужно подтверждение", err)
        self.assertIn("добавьте --yes", err)
        rc, out, err = Vcctl(os.path.join(self.tmp, unique("ru"))).run("devices", "ls", env=ru)
        self.assertEqual(rc, 2)
        self.assertIn("сервер не указан", err)
        rc, out, err = op.run("media", "upload", "--help", env=ru)
        self.assertEqual(rc, 0)
        self.assertIn("Использование:", out)
        self.assertIn("Загрузить файлы и папки", out)
        self.assertNotIn("Options:", out)
        rc, out, err = op.run("status", env=ru)
        self.assertRegex(out, r"устройств: \d+, в сети: \d+")

    # ---- completion and the man page ---------------------------------------------------------

    def test_bash_completion_follows_the_command_tree(self):
        rc, script, _ = self.admin.run("completion", "bash")
        self.assertEqual(rc, 0)
        path = os.path.join(self.tmp, "vcctl.bash")
        with open(path, "w") as f:
            f.write(script)

        def complete(*words):
            cmd = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vcctl; printf "%s\\n" "${COMPREPLY[@]}"'
            p = subprocess.run(["bash", "-c", cmd, "bash", path, "vcctl", *words], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            return sorted(p.stdout.split())

        self.assertEqual(complete("dev"), ["devices"])
        self.assertEqual([w for w in complete("devices", "") if not w.startswith("-")], ["add", "credential", "legacy", "ls", "rename", "rm", "show"])
        self.assertIn("upload", complete("media", "u"))
        self.assertIn("--password-stdin", complete("users", "passwd", "--pa"))
        self.assertIn("--json", complete("--js"))
        rc, zsh, _ = self.admin.run("completion", "zsh")
        self.assertTrue(zsh.startswith("#compdef vcctl"))
        man = os.environ.get("VC_VCCTL_MAN")
        if man:
            with open(man, encoding="utf-8") as f:
                text = f.read()
            for section in ("EXIT STATUS", "ENVIRONMENT", "vcctl login"):
                self.assertIn(section, text)


if __name__ == "__main__":
    VCCTL = os.environ.get("VC_VCCTL")
    if not VCCTL:
        sys.exit("set VC_VCCTL to the vcctl binary")
    api_support.run_main()
