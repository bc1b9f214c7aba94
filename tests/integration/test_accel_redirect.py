#!/usr/bin/python3
"""With ACCEL_REDIRECT, media bytes are sent by NGINX, not by the server (deploy/nginx).

Starts the real server (ACCEL_REDIRECT=/_vc_blobs/) and an NGINX on loopback whose config is the
shipped deploy/nginx/videocontrol-lb.conf pointed at that one instance plus the internal location
(its TLS server, with a self-signed certificate made here — edge_support.py); uploads a file; checks that the server alone answers with X-Accel-Redirect and no body, and that
through NGINX the whole file and a Range arrive byte-exact.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
import edge_support  # noqa: E402
from api_support import ApiTestCase, Server, free_port, unique  # noqa: E402
from test_media import multipart, png  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class AccelRedirectTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"ACCEL_REDIRECT": "/_vc_blobs/", "RATE_LIMIT_PER_MINUTE": "100000"})
        cls.nginx_dir = tempfile.mkdtemp(prefix="vc-accel-nginx-")
        cls.nginx_port = free_port()
        site = open(os.path.join(ROOT, "deploy/nginx/videocontrol-lb.conf")).read()
        site = re.sub(r"server 127\.0\.0\.1:300[12] [^;]*;\n", "", site)
        site = site.replace("127.0.0.1:3000", "127.0.0.1:%d" % cls.server.port)
        cls.cert, key = edge_support.make_certificate(cls.nginx_dir)
        operator_include = os.path.join(cls.nginx_dir, "operator-network.conf")
        shutil.copyfile(edge_support.OPERATOR_NETWORK_CONF, operator_include)
        site = edge_support.site_config(site, ["127.0.0.1:%d" % cls.nginx_port], ["127.0.0.1:%d" % free_port()],
                                        cls.cert, key, operator_include)
        site = site.replace("limit_req zone=videocontrol_api burst=20 nodelay;", "")
        blobs = os.path.join(cls.server.data_dir, "content", "blobs") + "/"
        site = site.replace("alias /var/lib/videocontrol/content/blobs/;", "alias %s;" % blobs)
        with open(os.path.join(cls.nginx_dir, "site.conf"), "w") as f:
            f.write(site)
        d = cls.nginx_dir
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            # NGINX must be able to read CONTENT_DIR (here a private temp folder): as root, run the
            # workers as root too; otherwise they run as the current user anyway.
            f.write("user root;\n" if os.geteuid() == 0 else "")
            f.write("daemon off;\npid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n  access_log off;\n"
                    "  client_body_temp_path %s/b;\n  proxy_temp_path %s/p;\n  include %s/site.conf;\n}\n" % (d, d, d, d, d))
        cls.nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", d, "-c", os.path.join(d, "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                c = edge_support.https_connection("127.0.0.1", cls.nginx_port, cls.cert, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.nginx.send_signal(signal.SIGQUIT)
        try:
            cls.nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.nginx.kill()
        shutil.rmtree(cls.nginx_dir, ignore_errors=True)
        cls.server.cleanup()

    def get(self, port, path, token, headers=None):
        if port == self.nginx_port:  # the shipped edge speaks HTTPS
            c = edge_support.https_connection("127.0.0.1", port, self.cert, timeout=10)
        else:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path, headers={"Authorization": "Bearer " + token, **(headers or {})})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

    def test_media_bytes_are_sent_by_nginx_with_ranges(self):
        s = self.server
        admin = s.token("admin", api_support.ADMIN_PASSWORD)["access_token"]
        slug = unique("accel")
        org = self.assertStatus(s.call("POST", "/api/v1/organizations", {"name": slug, "slug": slug, "plan": "PRO"},
                                       token=admin), 201).json()["id"]
        self.assertStatus(s.call("POST", "/api/v1/users", {"username": slug + "_op", "password": api_support.USER_PASSWORD,
                                                          "role": "operator", "organization_id": org}, token=admin), 201)
        op = s.token(slug + "_op")["access_token"]
        self.assertStatus(s.call("POST", "/api/v1/devices", {"device_id": slug + "-tv", "name": "tv"}, token=op), 201)
        data = png(50000)
        ctype, body = multipart([("files", "poster.png", data)])
        up = s.call("POST", "/api/v1/devices/%s-tv/media" % slug, body, token=op, headers={"Content-Type": ctype})
        media_id = self.assertStatus(up, 201).json()["items"][0]["id"]
        path = "/api/v1/media/%s/content" % media_id

        status, headers, payload = self.get(s.port, path, op)
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("x-accel-redirect", "").startswith("/_vc_blobs/"), headers)
        self.assertEqual(payload, b"")

        status, headers, payload = self.get(self.nginx_port, path, op)
        self.assertEqual(status, 200, headers)
        self.assertEqual(payload, data)
        self.assertNotIn("x-accel-redirect", headers)

        status, headers, payload = self.get(self.nginx_port, path, op, {"Range": "bytes=100-199"})
        self.assertEqual(status, 206, headers)
        self.assertEqual(payload, data[100:200])


if __name__ == "__main__":
    api_support.run_main()
