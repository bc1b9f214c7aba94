#!/usr/bin/python3
"""Integration test: GET / answers a person with a short HTML page (issue 10) naming the REST API,
its OpenAPI document, the player and the docs; in Russian when Accept-Language prefers it; with a
strict Content-Security-Policy (no script, no style) and nosniff.

Usage:
    /usr/bin/python3 tests/integration/test_start_page.py --binary PATH/videocontrol-server
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ApiTestCase, Server  # noqa: E402


class StartPageTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assertPage(self, r):
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8", repr(r))
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff", repr(r))
        csp = r.headers.get("content-security-policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        self.assertEqual(directives.get("default-src"), "default-src 'none'", csp)
        self.assertNotIn("script-src", directives, csp)
        self.assertNotIn("unsafe-inline", csp)
        return r.body.decode("utf-8")

    def test_english_by_default_names_the_api_openapi_player_and_docs(self):
        html = self.assertPage(self.server.call("GET", "/"))
        self.assertTrue(html.lstrip().lower().startswith("<!doctype html>"), html[:100])
        self.assertIn('lang="en"', html)
        for needle in ("/api/v1", 'href="/api/v1/openapi.json"', "/player?device=", "README.md", "Documentation"):
            self.assertIn(needle, html)
        # Nothing that the CSP would have to allow.
        for banned in ("<script", "<style", "style=", "onload", "<iframe", "<form"):
            self.assertNotIn(banned, html.lower())
        r = self.server.call("GET", "/", headers={"Accept-Language": "de-DE, en;q=0.5"})
        self.assertIn('lang="en"', self.assertPage(r))

    def test_russian_when_accept_language_prefers_it(self):
        r = self.server.call("GET", "/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"})
        html = self.assertPage(r)
        self.assertIn('lang="ru"', html)
        self.assertIn("Документация", html)
        self.assertIn("/api/v1/openapi.json", html)
        self.assertEqual(r.headers.get("content-language"), "ru")
        self.assertIn("Accept-Language", r.headers.get("vary", ""))
        # English preferred over Russian: English.
        r = self.server.call("GET", "/", headers={"Accept-Language": "en;q=1, ru;q=0.5"})
        self.assertIn('lang="en"', self.assertPage(r))

    def test_head_answers_like_get_without_a_body(self):
        r = self.server.call("HEAD", "/")
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.headers.get("content-type"), "text/html; charset=utf-8")
        self.assertEqual(r.body, b"")

    def test_other_methods_are_405_and_unknown_paths_still_json_404(self):
        r = self.server.call("POST", "/", body="x")
        self.assertEqual(r.status, 405, repr(r))
        self.assertStatus(self.server.call("GET", "/no-such-page"), 404)


if __name__ == "__main__":
    api_support.run_main()
