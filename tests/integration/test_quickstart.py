#!/usr/bin/python3
"""Integration test: the first run of a newcomer (issue 10), over the real server binary.

QuickStartTest does what README's quick start says, as a person would: start the server on a fresh
data folder the way scripts/run.sh does (no ADMIN_PASSWORD), read the generated password from what
the server prints, sign in as admin with curl, create a device and upload a file with curl, and
see the file in the device's list — with no other step.

ActInOrganizationTest: a superadmin acts in another organisation by naming it in the
X-Organization-Id header (audited as such); anyone else sending the header gets 403, an unknown
organisation 404.

Usage:
    /usr/bin/python3 tests/integration/test_quickstart.py --binary PATH/videocontrol-server
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import (ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, free_port,  # noqa: E402
                         PASSTHROUGH_ENV, STARTUP_TIMEOUT, unique)

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 200


class QuickStartTest(ApiTestCase):

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="vc-quickstart-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.port = free_port()
        # Like scripts/run.sh: DATA_DIR set, nothing else but where to listen; no ADMIN_PASSWORD.
        env = {k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ}
        env.setdefault("PATH", "/usr/bin:/bin")
        env.update({"HOME": self.data_dir, "DATA_DIR": os.path.join(self.data_dir, "data"),
                    "HOST": "127.0.0.1", "PORT": str(self.port)})
        self.proc = subprocess.Popen([api_support.BINARY], cwd=self.data_dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(self._stop)
        self.output = []
        self.password = None
        ready = threading.Event()

        def read():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace")
                self.output.append(line)
                m = re.search(r"superadmin 'admin' created with password: (\S+)", line)
                if m:
                    self.password = m.group(1)
                if self.password and "listening on" in line:
                    ready.set()
            ready.set()
        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(STARTUP_TIMEOUT) or self.proc.poll() is not None:
            self.fail("server did not start and print the admin password:\n" + "".join(self.output))
        self.base = "http://127.0.0.1:%d" % self.port

    def _stop(self):
        api_support.stop_process(self.proc)
        self.proc.stdout.close()

    def curl(self, *args):
        """curl as a person types it; returns (status, body bytes)."""
        r = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}"] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode("utf-8", "replace"))
        body, _, status = r.stdout.rpartition(b"\n")
        return int(status), body

    def test_sign_in_create_a_device_and_upload_a_file_with_curl(self):
        self.assertIsNotNone(self.password, "no generated password printed:\n" + "".join(self.output))

        status, body = self.curl("-X", "POST", self.base + "/api/v1/auth/login", "-H",
                                 "Content-Type: application/json",
                                 "-d", json.dumps({"username": "admin", "password": self.password}))
        self.assertEqual(status, 200, body)
        token = json.loads(body)["access_token"]
        auth = "Authorization: Bearer " + token

        status, body = self.curl("-X", "POST", self.base + "/api/v1/devices", "-H", auth, "-H",
                                 "Content-Type: application/json", "-d", '{"device_id":"lobby","name":"Lobby"}')
        self.assertEqual(status, 201, body)
        device = json.loads(body)
        self.assertEqual(device["device_id"], "lobby")

        path = os.path.join(self.data_dir, "welcome.png")
        with open(path, "wb") as f:
            f.write(PNG)
        status, body = self.curl("-X", "POST", self.base + "/api/v1/devices/lobby/media", "-H", auth,
                                 "-F", "files=@" + path)
        self.assertEqual(status, 201, body)
        self.assertEqual([i["name"] for i in json.loads(body)["items"]], ["welcome.png"])

        status, body = self.curl(self.base + "/api/v1/devices/lobby/media", "-H", auth)
        self.assertEqual(status, 200, body)
        files = json.loads(body)["items"]
        self.assertEqual([f["name"] for f in files], ["welcome.png"])
        self.assertEqual(files[0]["size"], len(PNG))

        # The device and the file are in the Default organisation, the superadmin's home.
        status, body = self.curl(self.base + "/api/v1/auth/me", "-H", auth)
        self.assertEqual(status, 200, body)
        home = json.loads(body)["organization_id"]
        self.assertTrue(home)
        self.assertEqual(device["organization_id"], home)
        status, body = self.curl(self.base + "/api/v1/organizations/" + home, "-H", auth)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["slug"], "default")


class ActInOrganizationTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000"})

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_superadmin_acts_in_another_organisation_with_the_header(self):
        s = self.server
        login = s.token("admin", ADMIN_PASSWORD)
        sup, sup_id = login["access_token"], login["user"]["id"]
        home = login["user"]["organization_id"]
        self.assertTrue(home, "the superadmin has no home organisation: %r" % login)
        org = self.assertStatus(s.call("POST", "/api/v1/organizations",
                                       {"name": "Second", "slug": unique("second"), "plan": "PRO"}, token=sup),
                                201).json()
        other = {"X-Organization-Id": org["id"]}

        dev = unique("there")
        d = self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": dev}, token=sup, headers=other), 201)
        self.assertEqual(d.json()["organization_id"], org["id"])
        ctype, body = multipart_one("files", "a.png", PNG)
        self.assertStatus(s.call("POST", "/api/v1/devices/%s/media" % dev, body, token=sup,
                                 headers=dict(other, **{"Content-Type": ctype})), 201)
        # Lists follow the header: the device is in the second organisation, not in the home.
        there = self.assertStatus(s.call("GET", "/api/v1/devices", token=sup, headers=other), 200).json()["items"]
        self.assertEqual([x["device_id"] for x in there], [dev])
        here = self.assertStatus(s.call("GET", "/api/v1/devices", token=sup), 200).json()["items"]
        self.assertNotIn(dev, [x["device_id"] for x in here])
        # Without the header the superadmin acts in its home.
        d2 = self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": unique("home")}, token=sup), 201)
        self.assertEqual(d2.json()["organization_id"], home)

        # Audited as acting as superadmin, in the second organisation's log.
        rows = self.assertStatus(s.call("GET", "/api/v1/audit", token=sup,
                                        query={"organization_id": org["id"], "action": "device.create"}),
                                 200).json()["items"]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["actor_id"], sup_id)
        self.assertIn("as_superadmin", json.dumps(rows[0]), rows[0])

        # An organisation that does not exist: 404.
        self.assertStatus(s.call("GET", "/api/v1/devices", token=sup,
                                 headers={"X-Organization-Id": "0190aaaa-0000-7000-8000-000000000000"}),
                          404, "not_found")

        # An organisation admin sending the header: 403, even naming its own organisation.
        name = unique("orgadmin")
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": name, "password": USER_PASSWORD,
                                                           "role": "admin", "organization_id": org["id"]},
                                 token=sup), 201)
        admin = s.token(name)["access_token"]
        self.assertStatus(s.call("GET", "/api/v1/devices", token=admin, headers={"X-Organization-Id": home}),
                          403, "forbidden")
        self.assertStatus(s.call("GET", "/api/v1/devices", token=admin, headers=other), 403, "forbidden")
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": unique("x")}, token=admin,
                                 headers={"X-Organization-Id": home}), 403, "forbidden")
        ctype, body = multipart_one("files", "b.png", PNG)
        self.assertStatus(s.call("POST", "/api/v1/devices/%s/media" % dev, body, token=admin,
                                 headers={"X-Organization-Id": home, "Content-Type": ctype}), 403, "forbidden")
        # Without it, the admin works in its own organisation as before.
        mine = self.assertStatus(s.call("GET", "/api/v1/devices", token=admin), 200).json()["items"]
        self.assertEqual([x["device_id"] for x in mine], [dev])


def multipart_one(field, filename, data):
    boundary = "vcquickstart" + unique("b").replace("-", "")
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n") % (boundary, field, filename)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    return "multipart/form-data; boundary=" + boundary, body


if __name__ == "__main__":
    api_support.run_main()
