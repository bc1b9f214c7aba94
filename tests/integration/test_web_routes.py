#!/usr/bin/python3
"""Integration test of the web pages' HTTP side (issue 11): where `/` sends a browser, the headers
every page and asset carries (CSP, nosniff, caching, compression, ETag), and the browser session:
the refresh token only in an HttpOnly SameSite=Strict cookie, refresh and sign-out by cookie, the
CSRF checks, and the media cookie read by content routes only. The pages themselves are tested in
Chromium (tests/js/browser).

Usage:
    /usr/bin/python3 tests/integration/test_web_routes.py --binary PATH/videocontrol-server
"""

import gzip
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, ApiTestCase, Server  # noqa: E402

BROWSER = {"X-Requested-With": "VideoControl"}


def ffmpeg_png():
    """A small PNG made by FFmpeg (a real encoder, not hand-made bytes)."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "dot.png")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=green:s=8x8",
                        "-frames:v", "1", out], check=True)
        with open(out, "rb") as f:
            return f.read()


def cookies(reply):
    """{name: (value, {attribute: value})} from every Set-Cookie of a reply."""
    out = {}
    for name, value in reply.header_list:
        if name != "set-cookie":
            continue
        parts = [p.strip() for p in value.split(";")]
        k, _, v = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            a, _, b = p.partition("=")
            attrs[a.lower()] = b
        out[k] = (v, attrs)
    return out


class WebRoutesTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def browser_login(self, extra_headers=None):
        h = dict(BROWSER)
        h.update(extra_headers or {})
        r = self.server.call("POST", "/api/v1/auth/login",
                             {"username": "admin", "password": ADMIN_PASSWORD, "session": "cookie"}, headers=h)
        self.assertStatus(r, 200)
        return r

    # ---- where / goes ------------------------------------------------------------------------

    def test_root_sends_a_signed_out_browser_to_sign_in_and_a_signed_in_one_to_the_panel(self):
        r = self.server.call("GET", "/")
        self.assertEqual((r.status, r.headers.get("location")), (302, "/signin"), repr(r))
        r = self.server.call("GET", "/", headers={"Cookie": "vc_session=1"})
        self.assertEqual((r.status, r.headers.get("location")), (302, "/admin"), repr(r))

    # ---- pages and assets ----------------------------------------------------------------------

    def test_every_page_has_a_strict_csp_and_is_revalidated(self):
        for path in ("/signin", "/admin", "/speaker"):
            r = self.server.call("GET", path)
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8")
            self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")
            self.assertEqual(r.headers.get("cache-control"), "no-cache")
            csp = r.headers.get("content-security-policy", "")
            d = {x.strip().split(" ")[0]: x.strip() for x in csp.split(";") if x.strip()}
            self.assertEqual(d.get("script-src"), "script-src 'self'", csp)
            self.assertEqual(d.get("style-src"), "style-src 'self'", csp)
            self.assertEqual(d.get("object-src"), "object-src 'none'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertNotIn("unsafe-eval", csp)
            self.assertNotRegex(csp, r"https?://", "no third-party origin")
            html = r.body.decode()
            self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)", "no inline script")
            self.assertNotIn("<style", html)
            self.assertNotIn(" style=", html)
            etag = r.headers["etag"]
            again = self.server.call("GET", path, headers={"If-None-Match": etag})
            self.assertEqual((again.status, again.body), (304, b""), repr(again))

    def test_assets_are_immutable_compressed_and_typed(self):
        html = self.server.call("GET", "/admin").body.decode()
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
        self.assertTrue(any(a.endswith(".js") for a in assets), html)
        self.assertTrue(any(a.endswith(".css") for a in assets), html)
        for a in assets:
            plain = self.server.call("GET", a)
            self.assertEqual(plain.status, 200, repr(plain))
            self.assertEqual(plain.headers.get("cache-control"), "public, max-age=31536000, immutable")
            self.assertRegex(plain.headers.get("content-type", ""), r"^(text/javascript|text/css); charset=utf-8$")
            self.assertNotIn("content-encoding", plain.headers)
            gz = self.server.call("GET", a, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(gz.headers.get("content-encoding"), "gzip")
            self.assertEqual(gzip.decompress(gz.body), plain.body)
            self.assertLess(len(gz.body), len(plain.body))
            br = self.server.call("GET", a, headers={"Accept-Encoding": "gzip, deflate, br"})
            self.assertEqual(br.headers.get("content-encoding"), "br")
            self.assertLessEqual(len(br.body), len(gz.body))
            self.assertEqual(br.headers.get("vary"), "Accept-Encoding")
            refused = self.server.call("GET", a, headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
            self.assertNotIn("content-encoding", refused.headers)
        missing = self.server.call("GET", "/assets/admin-NOPE.js")
        self.assertStatus(missing, 404, "not_found")

    # ---- browser sessions ----------------------------------------------------------------------

    def test_cookie_sign_in_keeps_the_refresh_token_out_of_the_body_and_page_scripts(self):
        r = self.browser_login()
        body = r.json()
        self.assertNotIn("refresh_token", body)
        self.assertTrue(body["access_token"])
        self.assertGreater(body["refresh_expires_in"], 0)
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        c = cookies(r)
        value, attrs = c["vc_refresh"]
        self.assertTrue(value)
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite"), "Strict")
        self.assertEqual(attrs.get("path"), "/api/v1/auth")
        self.assertNotIn("secure", attrs, "plain HTTP without a trusted proxy: not Secure")
        self.assertIn("httponly", c["vc_access"][1])
        self.assertEqual(c["vc_access"][1].get("path"), "/api/v1")
        self.assertEqual(c["vc_session"][0], "1")
        self.assertNotIn("httponly", c["vc_session"][1])
        # Plain API clients still get both tokens in the body and no cookie.
        api = self.server.login("admin", ADMIN_PASSWORD)
        self.assertIn("refresh_token", api.json())
        self.assertEqual(cookies(api), {})

    def test_a_cookie_sign_in_or_refresh_needs_the_csrf_header_and_a_same_host_origin(self):
        no_header = self.server.call("POST", "/api/v1/auth/login",
                                     {"username": "admin", "password": ADMIN_PASSWORD, "session": "cookie"})
        self.assertStatus(no_header, 403, "forbidden")
        self.assertEqual(cookies(no_header), {})
        bad_session = self.server.call("POST", "/api/v1/auth/login",
                                       {"username": "admin", "password": ADMIN_PASSWORD, "session": "jar"}, headers=BROWSER)
        self.assertStatus(bad_session, 400)
        refresh = cookies(self.browser_login())["vc_refresh"][0]
        jar = {"Cookie": "vc_refresh=" + refresh}
        self.assertStatus(self.server.call("POST", "/api/v1/auth/refresh", headers=jar), 403, "forbidden")
        evil = dict(jar, **BROWSER)
        evil["Origin"] = "http://evil.example"
        self.assertStatus(self.server.call("POST", "/api/v1/auth/refresh", headers=evil), 403, "forbidden")
        # The refused attempts did not use the token up.
        ok = dict(jar, **BROWSER)
        ok["Origin"] = "http://127.0.0.1:%d" % self.server.port
        r = self.server.call("POST", "/api/v1/auth/refresh", headers=ok)
        self.assertStatus(r, 200)
        self.assertNotIn("refresh_token", r.json())
        rotated = cookies(r)["vc_refresh"][0]
        self.assertNotEqual(rotated, refresh)
        # The old cookie is spent: presenting it again ends the session and clears the cookies.
        again = self.server.call("POST", "/api/v1/auth/refresh", headers=dict(jar, **BROWSER))
        self.assertStatus(again, 401, "unauthenticated")
        self.assertEqual(cookies(again)["vc_refresh"][1].get("max-age"), "0")
        self.assertStatus(self.server.call("POST", "/api/v1/auth/refresh",
                                           headers={"Cookie": "vc_refresh=" + rotated, **BROWSER}), 401)

    def test_sign_out_clears_the_cookies_and_revokes_the_session(self):
        r = self.browser_login()
        access = r.json()["access_token"]
        refresh = cookies(r)["vc_refresh"][0]
        out = self.server.call("POST", "/api/v1/auth/logout", token=access)
        self.assertEqual(out.status, 204, repr(out))
        c = cookies(out)
        self.assertEqual({k: v[1].get("max-age") for k, v in c.items()},
                         {"vc_refresh": "0", "vc_access": "0", "vc_session": "0"})
        self.assertStatus(self.server.call("POST", "/api/v1/auth/refresh",
                                           headers={"Cookie": "vc_refresh=" + refresh, **BROWSER}), 401)

    def test_secure_cookies_behind_a_trusted_https_proxy_only(self):
        proxied = Server(env={"TRUSTED_PROXIES": "127.0.0.1"})
        try:
            r = proxied.call("POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD,
                                                             "session": "cookie"},
                             headers=dict(BROWSER, **{"X-Forwarded-Proto": "https"}))
            self.assertEqual(r.status, 200, repr(r))
            self.assertTrue(all("secure" in attrs for _, attrs in cookies(r).values()), r.header_list)
        finally:
            proxied.cleanup()
        # An untrusted peer cannot claim HTTPS.
        r = self.browser_login({"X-Forwarded-Proto": "https"})
        self.assertTrue(all("secure" not in attrs for _, attrs in cookies(r).values()))

    def test_the_media_cookie_reads_content_and_nothing_else(self):
        PNG = ffmpeg_png()
        r = self.browser_login()
        access_cookie = "vc_access=" + cookies(r)["vc_access"][0]
        token = r.json()["access_token"]
        self.assertStatus(self.server.call("POST", "/api/v1/devices", {"device_id": "web-routes", "name": "W"},
                                           token=token), 201)
        import uuid
        boundary = uuid.uuid4().hex
        body = (("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"dot.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n" % boundary).encode() + PNG + ("\r\n--%s--\r\n" % boundary).encode())
        up = self.server.call("POST", "/api/v1/devices/web-routes/media", body, token=token,
                              headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertIn(up.status, (200, 201), repr(up))
        media_id = self.server.call("GET", "/api/v1/devices/web-routes/media", token=token).json()["items"][0]["id"]
        for path in ("/api/v1/media/%s/content" % media_id, "/api/v1/devices/web-routes/media/dot.png/content"):
            got = self.server.call("GET", path, headers={"Cookie": access_cookie})
            self.assertEqual((got.status, got.body), (200, PNG), repr(got))
            self.assertEqual(got.headers.get("content-type"), "image/png")
        # The cookie authenticates nothing but those reads.
        for method, path in (("GET", "/api/v1/devices"), ("GET", "/api/v1/media/%s" % media_id),
                             ("DELETE", "/api/v1/media/%s" % media_id)):
            self.assertStatus(self.server.call(method, path, headers={"Cookie": access_cookie}), 401, "unauthenticated")
        self.assertStatus(self.server.call("GET", "/api/v1/devices/web-routes/media/dot.png/content"), 401)


if __name__ == "__main__":
    api_support.run_main()
