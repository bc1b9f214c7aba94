#!/usr/bin/python3
"""Integration test of examples/player (issue 14): the C++ example player, built on the library's
public Socket.IO codec, against the real server binary.

Usage:
    VC_PLAYER_EXAMPLE=PATH/player /usr/bin/python3 tests/integration/test_player_example.py \
        --binary PATH/videocontrol-server [unittest args]

The admin creates a device and uploads a PNG made here with ffmpeg through REST; the example player
registers as that device; REST commands (play, pause) reach it and it prints them; the device is
online while it runs; SIGTERM, the end of its SECONDS and an unknown device end it as documented.
"""

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, ApiTestCase, Server, unique  # noqa: E402
from test_realtime import multipart  # noqa: E402

PLAYER = os.environ.get("VC_PLAYER_EXAMPLE", "")
WAIT = 10.0  # seconds for a line that must come



class PlayerProcess:
    """The example player as a subprocess; its stdout lines are collected by a thread."""

    def __init__(self, port, device_id, seconds=60):
        self.lines = []
        self.cond = threading.Condition()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([PLAYER, "127.0.0.1", str(port), device_id, str(seconds)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()

    def describe(self):
        self.stderr.seek(0)
        return "\n--- player exit code %r, stdout %r, stderr:\n%s" % (
            self.proc.poll(), self.lines, self.stderr.read().decode("utf-8", "replace"))

    def wait_line(self, pred, start=0, timeout=WAIT):
        """Index of the first line (from `start`) matching `pred`; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if pred(self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no such line within %.0f s%s" % (timeout, self.describe()))
                self.cond.wait(min(left, 0.2))

    def wait_exit(self, timeout=WAIT):
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("player still running after %.0f s%s" % (timeout, self.describe()))
        self.reader.join(timeout=5)
        return code

    def stop(self):
        api_support.stop_process(self.proc)
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.stderr.close()


class PlayerExampleTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        if not (PLAYER and os.access(PLAYER, os.X_OK)):
            raise unittest.SkipTest("set VC_PLAYER_EXAMPLE to the built examples/player binary")
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000"})
        try:
            cls.token = cls.server.token("admin", ADMIN_PASSWORD)["access_token"]
            cls.work = tempfile.mkdtemp(prefix="vc-player-example-")
            png = os.path.join(cls.work, "x.png")
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=red:size=64x64",
                            "-frames:v", "1", png], check=True, timeout=60)
            with open(png, "rb") as f:
                cls.png = f.read()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def new_device(self, with_file=True):
        device_id = unique("example")
        self.assertStatus(self.server.call("POST", "/api/v1/devices", {"device_id": device_id, "name": "Example"},
                                           token=self.token), 201)
        if with_file:
            body, ctype = multipart({"x.png": self.png})
            r = self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/media" % device_id, body,
                                                   token=self.token, headers={"Content-Type": ctype}), 201)
            self.assertEqual([i["name"] for i in r.json()["items"]], ["x.png"])
        return device_id

    def player(self, device_id, seconds=60):
        p = PlayerProcess(self.server.port, device_id, seconds)
        self.addCleanup(p.stop)
        return p

    def command(self, device_id, body):
        return self.assertStatus(self.server.call("POST", "/api/v1/devices/%s/commands" % device_id, body,
                                                  token=self.token), 200)

    def status_of(self, device_id):
        r = self.assertStatus(self.server.call("GET", "/api/v1/devices", token=self.token,
                                               query={"limit": 100}), 200)
        for d in r.json()["items"]:
            if d["device_id"] == device_id:
                return d
        self.fail("device %s not in GET /api/v1/devices: %r" % (device_id, r))

    def test_registers_prints_commands_and_stops_on_sigterm(self):
        dev = self.new_device()
        p = self.player(dev)
        reg = p.wait_line(lambda l: l == "registered")
        d = self.status_of(dev)
        self.assertEqual((d["status"], d["device_type"]), ("online", "cpp-example"), repr(d))

        self.command(dev, {"action": "play", "file": "x.png"})
        i = p.wait_line(lambda l: l.startswith("command player/play "), start=reg + 1)
        play = json.loads(p.lines[i][len("command player/play "):])
        self.assertEqual((play["file"], play["type"], play["state"]), ("x.png", "image", "playing"), p.lines[i])

        self.command(dev, {"action": "pause"})
        j = p.wait_line(lambda l: l.startswith("command player/"), start=i + 1)
        self.assertEqual(p.lines[j], "command player/pause", p.describe())
        self.assertEqual(self.status_of(dev)["status"], "online")

        # SIGTERM: the example closes the WebSocket cleanly and exits 0; the device goes offline.
        p.proc.terminate()
        self.assertEqual(p.wait_exit(), 0, p.describe())
        deadline = time.monotonic() + WAIT
        while self.status_of(dev)["status"] != "offline":
            self.assertLess(time.monotonic(), deadline, "device still online after the player closed")
            time.sleep(0.1)

    def test_ends_after_its_seconds(self):
        dev = self.new_device(with_file=False)
        p = self.player(dev, seconds=2)
        p.wait_line(lambda l: l == "registered")
        self.assertEqual(p.wait_exit(), 0, p.describe())

    def test_unknown_device_is_an_error(self):
        p = self.player("no-such-" + uuid.uuid4().hex[:6])
        self.assertEqual(p.wait_exit(), 1, p.describe())
        self.assertIn("rejected", p.describe())
        self.assertNotIn("registered", p.lines)


if __name__ == "__main__":
    api_support.run_main()
