#!/usr/bin/python3
"""Integration test: organisations, users, sign-in, API keys, permissions, rate limits and audit
log over the real server binary (issue 3).

Usage:
    /usr/bin/python3 tests/integration/test_tenancy.py --binary PATH/videocontrol-server [unittest args]

The binary can also be given with the environment variable VC_SERVER_BINARY. Only the Python 3
standard library is used (helpers in api_support.py). Most tests share one server whose rate limits
are raised out of the way; the rate-limit tests start their own servers with small limits.
"""

import json
import os
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_support  # noqa: E402
from api_support import ADMIN_PASSWORD, USER_PASSWORD, ApiTestCase, Server, parallel, unique  # noqa: E402

ROLES = ("viewer", "speaker", "operator", "admin")  # least to most privileged, per organisation

# The least role each route taking an {id} needs, for an object of the caller's own organisation.
# Every such route in /api/v1/openapi.json must be listed: a new one fails the matrix test until it
# is added here (with its target object in TenancyTest._matrix_target).
REQUIRED_ROLE = {
    ("GET", "/api/v1/organizations/{id}"): "viewer",
    ("PATCH", "/api/v1/organizations/{id}"): "admin",
    ("DELETE", "/api/v1/organizations/{id}"): "superadmin",
    ("GET", "/api/v1/organizations/{id}/usage"): "viewer",
    ("GET", "/api/v1/users/{id}"): "admin",
    ("PATCH", "/api/v1/users/{id}"): "admin",
    ("DELETE", "/api/v1/users/{id}"): "admin",
    ("DELETE", "/api/v1/api-keys/{id}"): "admin",
    ("GET", "/api/v1/media/{id}"): "viewer",
    ("PATCH", "/api/v1/media/{id}"): "operator",
    ("DELETE", "/api/v1/media/{id}"): "operator",
    ("POST", "/api/v1/media/{id}/devices"): "operator",
    ("GET", "/api/v1/media/{id}/content"): "viewer",
    ("GET", "/api/v1/groups/{id}"): "viewer",
    ("PATCH", "/api/v1/groups/{id}"): "operator",
    ("DELETE", "/api/v1/groups/{id}"): "operator",
    ("GET", "/api/v1/groups/{id}/timeline"): "viewer",
    ("POST", "/api/v1/groups/{id}/control"): "speaker",
    ("PUT", "/api/v1/groups/{id}/placeholder"): "operator",
    ("DELETE", "/api/v1/groups/{id}/placeholder"): "operator",
    ("GET", "/api/v1/playlists/{id}"): "viewer",
    ("PUT", "/api/v1/playlists/{id}"): "operator",
    ("DELETE", "/api/v1/playlists/{id}"): "operator",
    ("POST", "/api/v1/playlists/{id}/duplicate"): "operator",
    ("PUT", "/api/v1/assignments/{id}"): "operator",
    ("DELETE", "/api/v1/assignments/{id}"): "operator",
    ("GET", "/api/v1/devices/{id}/schedule"): "viewer",
    ("PUT", "/api/v1/devices/{id}/schedule"): "operator",
    ("POST", "/api/v1/devices/{id}/schedule/resume"): "speaker",
    ("GET", "/api/v1/devices/{id}/timeline"): "viewer",
    ("DELETE", "/api/v1/overrides/{id}"): "speaker",
    ("GET", "/api/v1/webhooks/{id}"): "admin",
    ("PATCH", "/api/v1/webhooks/{id}"): "admin",
    ("DELETE", "/api/v1/webhooks/{id}"): "admin",
    ("POST", "/api/v1/webhooks/{id}/rotate-secret"): "admin",
    ("POST", "/api/v1/webhooks/{id}/test"): "admin",
    ("GET", "/api/v1/webhooks/{id}/deliveries"): "admin",
    ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"): "admin",
}


# --------------------------------------------------------------------------
# The shared server: two organisations with one user of each role, and API keys
# --------------------------------------------------------------------------

class TenancyTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        # The victim webhook points at the discard port of 127.0.0.1 (allowed here; nothing listens).
        cls.server = Server(env={"RATE_LIMIT_PER_MINUTE": "1000000", "LOGIN_ATTEMPTS": "1000000",
                                 "WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
        try:
            cls._populate()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def _populate(cls):
        s = cls.server
        login = s.token("admin", ADMIN_PASSWORD)
        cls.super_token = login["access_token"]
        cls.super_id = login["user"]["id"]
        cls.orgs = {}  # "a"/"b" → organisation JSON
        for name in ("a", "b"):
            r = s.call("POST", "/api/v1/organizations",
                       {"name": "Org " + name.upper(), "slug": unique("org-" + name), "plan": "PRO"},
                       token=cls.super_token)
            assert r.status == 201, repr(r)
            cls.orgs[name] = r.json()

        # users[org][role] = {"id", "username", "token", "refresh"}
        specs = [(o, role) for o in ("a", "b") for role in ROLES]

        def create(spec):
            o, role = spec
            username = unique("%s-%s" % (o, role))
            r = s.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD, "role": role,
                                                 "organization_id": cls.orgs[o]["id"]}, token=cls.super_token)
            assert r.status == 201, repr(r)
            t = s.token(username)
            return spec, {"id": r.json()["id"], "username": username, "token": t["access_token"],
                          "refresh": t["refresh_token"]}
        cls.users = {"a": {}, "b": {}}
        for (o, role), info in parallel(create, specs):
            cls.users[o][role] = info

        # Objects the matrix aims at, in organisation A.
        r = s.call("POST", "/api/v1/users", {"username": unique("a-victim"), "password": USER_PASSWORD,
                                             "role": "viewer"}, token=cls.tok("a", "admin"))
        assert r.status == 201, repr(r)
        cls.victim_user = r.json()
        r = s.call("POST", "/api/v1/api-keys", {"name": "matrix victim", "scopes": ["read"]}, token=cls.tok("a", "admin"))
        assert r.status == 201, repr(r)
        cls.victim_key = r.json()
        r = s.call("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/", "events": ["device.created"],
                                                "enabled": False}, token=cls.tok("a", "admin"))
        assert r.status == 201, repr(r)
        cls.victim_webhook = r.json()
        # A device with one media item (a tiny PNG), uploaded as multipart/form-data.
        cls.victim_device = unique("a-victim")
        r = s.call("POST", "/api/v1/devices", {"device_id": cls.victim_device}, token=cls.tok("a", "operator"))
        assert r.status == 201, repr(r)
        boundary = "matrix" + uuid.uuid4().hex
        body = (("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"victim.png\"\r\n\r\n" % boundary)
                .encode() + b"\x89PNG\r\n\x1a\n" + os.urandom(64) + ("\r\n--%s--\r\n" % boundary).encode())
        r = s.call("POST", "/api/v1/devices/%s/media" % cls.victim_device, body, token=cls.tok("a", "operator"),
                   headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
        assert r.status == 201, repr(r)
        cls.victim_media = r.json()["items"][0]
        # Scheduling (issue 13): a group with the device, a playlist with the media, an assignment, an override.
        op = cls.tok("a", "operator")
        r = s.call("POST", "/api/v1/groups", {"name": "matrix victim", "device_ids": [cls.victim_device]}, token=op)
        assert r.status == 201, repr(r)
        cls.victim_group = r.json()
        cls.victim_playlist_body = {"name": "matrix victim", "items": [{"media_id": cls.victim_media["id"], "duration_ms": 5000}]}
        r = s.call("POST", "/api/v1/playlists", cls.victim_playlist_body, token=op)
        assert r.status == 201, repr(r)
        cls.victim_playlist = r.json()
        cls.victim_assignment_body = {"playlist_id": cls.victim_playlist["id"], "device_id": cls.victim_device, "priority": 1}
        r = s.call("POST", "/api/v1/assignments", cls.victim_assignment_body, token=op)
        assert r.status == 201, repr(r)
        cls.victim_assignment = r.json()
        r = s.call("POST", "/api/v1/overrides", {"message": "matrix victim", "group_id": cls.victim_group["id"]},
                   token=cls.tok("a", "speaker"))
        assert r.status == 201, repr(r)
        cls.victim_override = r.json()

    @classmethod
    def tok(cls, org, role):
        return cls.users[org][role]["token"]

    def setUp(self):
        if self.server.proc.poll() is not None:
            self.fail("shared server is no longer running%s" % self.server.describe())

    def call(self, *args, **kwargs):
        return self.server.call(*args, **kwargs)

    def new_user(self, org="a", role="viewer", password=USER_PASSWORD, by=None):
        username = unique("%s-%s" % (org, role))
        r = self.assertStatus(self.call("POST", "/api/v1/users",
                                        {"username": username, "password": password, "role": role},
                                        token=by or self.tok(org, "admin")), 201)
        return r.json()

    def audit(self, token=None, **query):
        r = self.assertStatus(self.call("GET", "/api/v1/audit", token=token or self.super_token,
                                        query=dict(query, limit=200)), 200)
        return r.json()["items"]

    def assertAudited(self, action, object_id, actor_id, actor_kind="user"):
        rows = self.audit(action=action, object_id=object_id)
        self.assertTrue(rows, "no audit row %s for %s" % (action, object_id))
        row = rows[0]
        self.assertEqual(row["actor_id"], actor_id, "audit row %r" % row)
        self.assertEqual(row["actor_kind"], actor_kind, "audit row %r" % row)
        self.assertEqual(row["address"], "127.0.0.1", "audit row %r" % row)
        return row

    # -- sign-in -----------------------------------------------------------
    def test_login_returns_tokens_and_the_user_without_its_hash(self):
        r = self.assertStatus(self.server.login(self.users["a"]["viewer"]["username"], USER_PASSWORD), 200)
        doc = r.json()
        for field in ("access_token", "refresh_token", "token_type", "expires_in", "user"):
            self.assertIn(field, doc)
        self.assertEqual(doc["token_type"], "Bearer")
        self.assertTrue(0 < doc["expires_in"] <= 900, doc["expires_in"])
        self.assertEqual(doc["user"]["role"], "viewer")
        self.assertEqual(doc["user"]["organization_id"], self.orgs["a"]["id"])
        self.assertNoSecrets(r)
        self.assertEqual(doc["access_token"].count("."), 2, "access token is not a JWT")

    def test_login_errors(self):
        viewer = self.users["a"]["viewer"]["username"]
        wrong = self.assertStatus(self.server.login(viewer, "not-the-Password-1"), 401, "unauthenticated")
        unknown = self.assertStatus(self.server.login(unique("nobody"), "whatever-Pw-1"), 401, "unauthenticated")
        self.assertEqual(wrong.json()["error"]["message"], unknown.json()["error"]["message"],
                         "the answer tells unknown users from wrong passwords")
        self.assertStatus(self.call("POST", "/api/v1/auth/login", "{not json"), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/auth/login", "[1,2]"), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/auth/login", ""), 400, "invalid")
        r = self.assertStatus(self.call("POST", "/api/v1/auth/login", {"username": viewer}), 400, "invalid")
        self.assertIn("password", r.json()["error"]["message"])
        r = self.assertStatus(self.call("POST", "/api/v1/auth/login", {"username": 7, "password": "x"}), 400, "invalid")
        self.assertIn("field 'username' must be a string", r.json()["error"]["message"])

    def test_me_needs_a_valid_token(self):
        r = self.assertStatus(self.call("GET", "/api/v1/auth/me", token=self.tok("b", "speaker")), 200)
        self.assertEqual(r.json()["id"], self.users["b"]["speaker"]["id"])
        self.assertNoSecrets(r)
        self.assertStatus(self.call("GET", "/api/v1/auth/me"), 401, "unauthenticated")
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token="not.a.jwt"), 401, "unauthenticated")
        self.assertStatus(self.call("GET", "/api/v1/auth/me", headers={"Authorization": "Basic YWRtaW46eA=="}),
                          401, "unauthenticated")
        # A token signed with another key.
        forged = self.tok("a", "admin").rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=forged), 401, "unauthenticated")

    def test_refresh_rotates_and_a_reused_token_revokes_the_session(self):
        user = self.new_user("a", "viewer")
        first = self.server.token(user["username"])
        r = self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}), 200)
        second = r.json()
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=second["access_token"]), 200)
        # The old token is used up; presenting it again is taken as theft: the whole session ends.
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}),
                          401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": second["refresh_token"]}),
                          401, "unauthenticated")
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=second["access_token"]), 401, "unauthenticated")
        rows = self.audit(action="auth.refresh_reuse", actor_id=user["id"])
        self.assertTrue(rows, "reuse not audited")
        # Other errors.
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": "nope"}), 401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {}), 400, "invalid")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": None}), 400, "invalid")

    def test_logout_ends_one_session_and_logout_all_every_session(self):
        user = self.new_user("b", "viewer")
        one = self.server.token(user["username"])
        two = self.server.token(user["username"])
        self.assertStatus(self.call("POST", "/api/v1/auth/logout", token=one["access_token"]), 204)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=one["access_token"]), 401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": one["refresh_token"]}), 401)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=two["access_token"]), 200)
        three = self.server.token(user["username"])
        # Logout of a named session (the body's refresh token).
        self.assertStatus(self.call("POST", "/api/v1/auth/logout", {"refresh_token": three["refresh_token"]},
                                    token=two["access_token"]), 204)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=three["access_token"]), 401)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=two["access_token"]), 200)
        self.assertStatus(self.call("POST", "/api/v1/auth/logout", "{bad", token=two["access_token"]), 400, "invalid")
        four = self.server.token(user["username"])
        self.assertStatus(self.call("POST", "/api/v1/auth/logout-all", token=two["access_token"]), 204)
        for t in (two, four):
            self.assertStatus(self.call("GET", "/api/v1/auth/me", token=t["access_token"]), 401)
            self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": t["refresh_token"]}), 401)
        self.assertStatus(self.call("POST", "/api/v1/auth/logout"), 401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/logout-all"), 401, "unauthenticated")
        self.assertTrue(self.audit(action="auth.logout_all", actor_id=user["id"]))

    def test_disabled_user_is_refused_at_once_and_cannot_sign_in(self):
        user = self.new_user("a", "operator")
        t = self.server.token(user["username"])
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=t["access_token"]), 200)
        r = self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"active": False},
                                        token=self.tok("a", "admin")), 200)
        self.assertFalse(r.json()["active"])
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=t["access_token"]), 401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": t["refresh_token"]}), 401)
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD), 403, "forbidden")
        self.assertStatus(self.server.login(user["username"], "Wrong-password-1"), 401, "unauthenticated")
        self.assertAudited("user.update", user["id"], self.users["a"]["admin"]["id"])
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"active": True},
                                    token=self.tok("a", "admin")), 200)
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD), 200)

    def test_admin_password_reset_revokes_sessions(self):
        user = self.new_user("b", "speaker")
        t = self.server.token(user["username"])
        new_pw = "reset-Password-77"
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"password": "short"},
                                    token=self.tok("b", "admin")), 400, "invalid")
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"password": new_pw},
                                    token=self.tok("b", "admin")), 200)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=t["access_token"]), 401, "unauthenticated")
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": t["refresh_token"]}), 401)
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD), 401)
        self.assertStatus(self.server.login(user["username"], new_pw), 200)
        self.assertAudited("user.password_reset", user["id"], self.users["b"]["admin"]["id"])

    def test_change_own_password(self):
        user = self.new_user("a", "viewer")
        t = self.server.token(user["username"])
        other = self.server.token(user["username"])
        new_pw = "changed-Password-9"
        path = "/api/v1/auth/password"
        self.assertStatus(self.call("POST", path, {"current_password": "wrong-Password-1", "new_password": new_pw},
                                    token=t["access_token"]), 401, "unauthenticated")
        r = self.assertStatus(self.call("POST", path, {"current_password": USER_PASSWORD, "new_password": "abc"},
                                        token=t["access_token"]), 400, "invalid")
        self.assertIn("password", r.json()["error"]["message"])
        self.assertStatus(self.call("POST", path, {"current_password": USER_PASSWORD}, token=t["access_token"]),
                          400, "invalid")
        self.assertStatus(self.call("POST", path, {"current_password": USER_PASSWORD, "new_password": new_pw}), 401)
        self.assertStatus(self.call("POST", path, {"current_password": USER_PASSWORD, "new_password": new_pw},
                                    token=t["access_token"]), 204)
        self.assertStatus(self.call("GET", "/api/v1/auth/me", token=other["access_token"]), 401)
        self.assertStatus(self.call("POST", "/api/v1/auth/refresh", {"refresh_token": other["refresh_token"]}), 401)
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD), 401)
        self.assertStatus(self.server.login(user["username"], new_pw), 200)
        self.assertAudited("user.password_change", user["id"], user["id"])

    # -- organisations -----------------------------------------------------
    def test_organization_create_read_update_delete(self):
        slug = unique("crud")
        r = self.assertStatus(self.call("POST", "/api/v1/organizations",
                                        {"name": "Crud Inc", "slug": slug, "plan": "FREE", "timezone": "Europe/Berlin"},
                                        token=self.super_token), 201)
        org = r.json()
        self.assertEqual(r.headers.get("location"), "/api/v1/organizations/" + org["id"])
        self.assertEqual((org["slug"], org["plan"], org["timezone"], org["active"]), (slug, "FREE", "Europe/Berlin", True))
        self.assertEqual(org["limits"], {"devices": 5, "users": 3, "storage_bytes": 5 * 10**9})
        self.assertAudited("organization.create", org["id"], self.super_id)

        self.assertStatus(self.call("POST", "/api/v1/organizations", {"name": "Again", "slug": slug},
                                    token=self.super_token), 409, "conflict")
        for bad in ({"name": "X", "slug": "Not A Slug"}, {"name": "X", "slug": unique("p"), "plan": "GOLD"},
                    {"name": "", "slug": unique("e")}, {"slug": unique("n")}, {"name": "X", "slug": 5},
                    {"name": "X", "slug": unique("t"), "timezone": "Mars/Olympus"}):
            self.assertStatus(self.call("POST", "/api/v1/organizations", bad, token=self.super_token), 400, "invalid",
                              msg=repr(bad))
        self.assertStatus(self.call("POST", "/api/v1/organizations", {"name": "X", "slug": unique("f")},
                                    token=self.tok("a", "admin")), 403, "forbidden")
        self.assertStatus(self.call("POST", "/api/v1/organizations", {"name": "X", "slug": unique("f")}), 401)

        r = self.assertStatus(self.call("GET", "/api/v1/organizations/" + org["id"], token=self.super_token), 200)
        self.assertEqual(r.json(), org)

        # The superadmin changes plan and limits; null puts a limit back to the plan's value.
        r = self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"],
                                        {"plan": "PRO", "max_users": 7, "name": "Crud GmbH"}, token=self.super_token), 200)
        doc = r.json()
        self.assertEqual((doc["plan"], doc["name"], doc["max_users"]), ("PRO", "Crud GmbH", 7))
        self.assertEqual(doc["limits"], {"devices": 100, "users": 7, "storage_bytes": 500 * 10**9})
        r = self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"], {"max_users": None},
                                        token=self.super_token), 200)
        self.assertIsNone(r.json()["max_users"])
        self.assertEqual(r.json()["limits"]["users"], 50)
        r = self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"], {"plan": "ENTERPRISE"},
                                        token=self.super_token), 200)
        self.assertEqual(r.json()["limits"], {"devices": None, "users": None, "storage_bytes": None})
        self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"], {"max_users": "7"},
                                    token=self.super_token), 400, "invalid")
        self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"], {"max_users": -1},
                                    token=self.super_token), 400, "invalid")
        self.assertStatus(self.call("PATCH", "/api/v1/organizations/" + org["id"], {"slug": self.orgs["a"]["slug"]},
                                    token=self.super_token), 409, "conflict")
        self.assertAudited("organization.update", org["id"], self.super_id)

        self.assertStatus(self.call("DELETE", "/api/v1/organizations/" + org["id"], token=self.super_token), 204)
        self.assertStatus(self.call("GET", "/api/v1/organizations/" + org["id"], token=self.super_token), 404, "not_found")
        self.assertStatus(self.call("DELETE", "/api/v1/organizations/" + org["id"], token=self.super_token), 404)
        self.assertAudited("organization.delete", org["id"], self.super_id)

    def test_organization_list_superadmin_sees_all_others_their_own(self):
        items, _ = self.collect_pages(self.server, "/api/v1/organizations", self.super_token, limit=2)
        ids = [o["id"] for o in items]
        self.assertEqual(len(ids), len(set(ids)), "a page repeats an organisation")
        self.assertIn(self.orgs["a"]["id"], ids)
        self.assertIn(self.orgs["b"]["id"], ids)
        r = self.assertStatus(self.call("GET", "/api/v1/organizations", token=self.tok("b", "viewer")), 200)
        self.assertEqual([o["id"] for o in r.json()["items"]], [self.orgs["b"]["id"]])
        self.assertIsNone(r.json()["next_cursor"])

    def test_org_admin_cannot_change_its_plan_or_limits(self):
        path = "/api/v1/organizations/" + self.orgs["a"]["id"]
        for patch in ({"plan": "ENTERPRISE"}, {"max_users": 1000}, {"max_devices": None}, {"max_storage_bytes": 1},
                      {"active": False}):
            self.assertStatus(self.call("PATCH", path, patch, token=self.tok("a", "admin")), 403, "forbidden",
                              msg=repr(patch))
        r = self.assertStatus(self.call("GET", path, token=self.super_token), 200)
        self.assertEqual(r.json()["plan"], "PRO")
        self.assertIsNone(r.json()["max_users"])
        r = self.assertStatus(self.call("PATCH", path, {"timezone": "Europe/Paris", "name": "Org A"},
                                        token=self.tok("a", "admin")), 200)
        self.assertEqual(r.json()["timezone"], "Europe/Paris")
        self.assertStatus(self.call("PATCH", path, "[]", token=self.tok("a", "admin")), 400, "invalid")
        self.assertStatus(self.call("PATCH", path, {"name": 3}, token=self.tok("a", "admin")), 400, "invalid")

    def test_usage_counts_against_limits(self):
        org = self.orgs["b"]
        r = self.assertStatus(self.call("GET", "/api/v1/organizations/%s/usage" % org["id"],
                                        token=self.tok("b", "admin")), 200)
        doc = r.json()
        self.assertEqual(set(doc), {"devices", "users", "storage_bytes", "limits"})
        self.assertGreaterEqual(doc["users"], len(ROLES))
        self.assertEqual(doc["devices"], 0)
        self.assertEqual(doc["storage_bytes"], 0)
        self.assertEqual(doc["limits"], {"devices": 100, "users": 50, "storage_bytes": 500 * 10**9})

    def test_quota_race_exactly_the_free_slots_are_taken(self):
        org = self.assertStatus(self.call("POST", "/api/v1/organizations", {"name": "Race", "slug": unique("race")},
                                          token=self.super_token), 201).json()
        self.assertEqual(org["limits"]["users"], 3)
        admin = unique("race-admin")
        self.assertStatus(self.call("POST", "/api/v1/users", {"username": admin, "password": USER_PASSWORD,
                                                               "role": "admin", "organization_id": org["id"]},
                                    token=self.super_token), 201)
        token = self.server.token(admin)["access_token"]
        free = 3 - 1
        barrier = threading.Barrier(10)

        def create(i):
            barrier.wait(timeout=30)
            return self.call("POST", "/api/v1/users", {"username": unique("racer%d" % i), "password": USER_PASSWORD,
                                                       "role": "viewer"}, token=token)
        replies = parallel(create, range(10), workers=10)
        ok = [r for r in replies if r.status == 201]
        refused = [r for r in replies if r.status != 201]
        self.assertEqual(len(ok), free, "expected exactly %d creates to succeed: %r" % (free, replies))
        for r in refused:
            self.assertStatus(r, 403, "quota")
        usage = self.assertStatus(self.call("GET", "/api/v1/organizations/%s/usage" % org["id"], token=token), 200)
        self.assertEqual(usage.json()["users"], 3)
        # A slot freed is a slot usable again.
        self.assertStatus(self.call("DELETE", "/api/v1/users/" + ok[0].json()["id"], token=token), 204)
        self.assertStatus(self.call("POST", "/api/v1/users", {"username": unique("late"), "password": USER_PASSWORD},
                                    token=token), 201)

    # -- users -------------------------------------------------------------
    def test_user_create_read_update_delete(self):
        admin = self.tok("a", "admin")
        username = unique("crud-user")
        r = self.assertStatus(self.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD,
                                                                  "role": "operator"}, token=admin), 201)
        user = r.json()
        self.assertNoSecrets(r)
        self.assertEqual(r.headers.get("location"), "/api/v1/users/" + user["id"])
        self.assertEqual((user["username"], user["role"], user["organization_id"], user["active"]),
                         (username, "operator", self.orgs["a"]["id"], True))
        self.assertAudited("user.create", user["id"], self.users["a"]["admin"]["id"])

        self.assertStatus(self.call("POST", "/api/v1/users", {"username": username, "password": USER_PASSWORD},
                                    token=admin), 409, "conflict")
        r = self.assertStatus(self.call("POST", "/api/v1/users", {"username": unique("weak"), "password": "password"},
                                        token=admin), 400, "invalid")
        self.assertIn("password", r.json()["error"]["message"])
        for bad in ({"username": unique("r"), "password": USER_PASSWORD, "role": "emperor"},
                    {"username": "x", "password": USER_PASSWORD},
                    {"username": unique("p")}, {"username": unique("t"), "password": 12345678901},
                    {"username": unique("o"), "password": USER_PASSWORD, "organization_id": 5}):
            self.assertStatus(self.call("POST", "/api/v1/users", bad, token=admin), 400, "invalid", msg=repr(bad))
        # Only the superadmin names another organisation, and only it grants superadmin.
        self.assertStatus(self.call("POST", "/api/v1/users", {"username": unique("x"), "password": USER_PASSWORD,
                                                               "organization_id": self.orgs["b"]["id"]}, token=admin),
                          403, "forbidden")
        self.assertStatus(self.call("POST", "/api/v1/users", {"username": unique("x"), "password": USER_PASSWORD,
                                                               "role": "superadmin"}, token=admin), 403, "forbidden")
        self.assertStatus(self.call("POST", "/api/v1/users", {"username": unique("x"), "password": USER_PASSWORD},
                                    token=self.tok("a", "operator")), 403, "forbidden")

        r = self.assertStatus(self.call("GET", "/api/v1/users/" + user["id"], token=admin), 200)
        self.assertEqual(r.json(), user)
        self.assertNoSecrets(r)
        # Everyone may read themselves.
        me = self.users["a"]["viewer"]
        self.assertStatus(self.call("GET", "/api/v1/users/" + me["id"], token=me["token"]), 200)

        r = self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"role": "speaker"}, token=admin), 200)
        self.assertEqual(r.json()["role"], "speaker")
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"role": "boss"}, token=admin), 400)
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + user["id"], {"active": "no"}, token=admin), 400)
        self.assertStatus(self.call("PATCH", "/api/v1/users/" + self.users["a"]["admin"]["id"], {"active": False},
                                    token=admin), 400, "invalid")  # not yourself

        self.assertStatus(self.call("DELETE", "/api/v1/users/" + user["id"], token=admin), 204)
        self.assertStatus(self.call("GET", "/api/v1/users/" + user["id"], token=admin), 404, "not_found")
        self.assertStatus(self.server.login(username, USER_PASSWORD), 401)
        self.assertAudited("user.delete", user["id"], self.users["a"]["admin"]["id"])

    def test_user_lists_are_per_organisation_and_page_with_a_cursor(self):
        items, pages = self.collect_pages(self.server, "/api/v1/users", self.tok("a", "admin"), limit=2)
        self.assertGreater(pages, 1)
        ids = [u["id"] for u in items]
        self.assertEqual(len(ids), len(set(ids)), "pages overlap")
        self.assertTrue(all(u["organization_id"] == self.orgs["a"]["id"] for u in items))
        for role in ROLES:
            self.assertIn(self.users["a"][role]["id"], ids)
        self.assertNotIn(self.users["b"]["admin"]["id"], ids)
        # The superadmin picks the organisation; an admin's choice is ignored.
        r = self.assertStatus(self.call("GET", "/api/v1/users", token=self.super_token,
                                        query={"organization_id": self.orgs["b"]["id"], "limit": 200}), 200)
        self.assertTrue(r.json()["items"])
        self.assertTrue(all(u["organization_id"] == self.orgs["b"]["id"] for u in r.json()["items"]))
        r = self.assertStatus(self.call("GET", "/api/v1/users", token=self.tok("a", "admin"),
                                        query={"organization_id": self.orgs["b"]["id"]}), 200)
        self.assertTrue(all(u["organization_id"] == self.orgs["a"]["id"] for u in r.json()["items"]))
        self.assertNoSecrets(r)
        for bad in ("0", "201", "ten", "-5"):
            self.assertStatus(self.call("GET", "/api/v1/users", token=self.tok("a", "admin"), query={"limit": bad}),
                              400, "invalid", msg=bad)
        self.assertStatus(self.call("GET", "/api/v1/users", token=self.tok("a", "viewer")), 403, "forbidden")

    # -- API keys ----------------------------------------------------------
    def test_api_keys_are_shown_once_work_as_both_headers_and_can_be_revoked(self):
        admin = self.tok("a", "admin")
        r = self.assertStatus(self.call("POST", "/api/v1/api-keys",
                                        {"name": "signage", "scopes": ["read", "control"],
                                         "expires_at": "2099-01-01T00:00:00Z"}, token=admin), 201)
        created = r.json()
        secret = created["key"]
        self.assertTrue(secret.startswith(created["prefix"]))
        self.assertEqual(sorted(created["scopes"]), ["control", "read"])
        self.assertEqual(created["expires_at"], "2099-01-01T00:00:00.000Z")
        self.assertEqual(created["organization_id"], self.orgs["a"]["id"])
        self.assertIsNone(created["last_used_at"])
        self.assertNoSecrets(r)
        self.assertAudited("api_key.create", created["id"], self.users["a"]["admin"]["id"])

        org_path = "/api/v1/organizations/" + self.orgs["a"]["id"]
        self.assertStatus(self.call("GET", org_path, token=secret), 200)
        self.assertStatus(self.call("GET", org_path, api_key=secret), 200)
        # Another organisation's object is "not found" for a key too; keys never manage people.
        self.assertStatus(self.call("GET", "/api/v1/organizations/" + self.orgs["b"]["id"], api_key=secret), 404)
        self.assertStatus(self.call("GET", "/api/v1/users", api_key=secret), 403, "forbidden")
        self.assertStatus(self.call("POST", "/api/v1/api-keys", {"name": "x", "scopes": ["read"]}, api_key=secret),
                          403, "forbidden")

        items, _ = self.collect_pages(self.server, "/api/v1/api-keys", admin, limit=1)
        listed = [k for k in items if k["id"] == created["id"]]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("key", listed[0])
        self.assertIsNotNone(listed[0]["last_used_at"], "use of the key not recorded")
        for k in items:
            self.assertNotIn(secret, json.dumps(k))
            self.assertEqual(k["organization_id"], self.orgs["a"]["id"])

        self.assertStatus(self.call("DELETE", "/api/v1/api-keys/" + created["id"], token=admin), 204)
        self.assertStatus(self.call("GET", org_path, api_key=secret), 401, "unauthenticated")
        self.assertAudited("api_key.revoke", created["id"], self.users["a"]["admin"]["id"])
        r = self.assertStatus(self.call("GET", "/api/v1/api-keys", token=admin, query={"limit": 200}), 200)
        revoked = [k for k in r.json()["items"] if k["id"] == created["id"]]
        if revoked:  # still listed: then marked
            self.assertIsNotNone(revoked[0]["revoked_at"])

    def test_api_key_errors(self):
        admin = self.tok("a", "admin")
        for bad in ({"scopes": ["read"]}, {"name": "x"}, {"name": "x", "scopes": []}, {"name": "x", "scopes": "read"},
                    {"name": "x", "scopes": ["read", "root"]}, {"name": "x", "scopes": ["read"], "expires_at": "soon"},
                    {"name": "x", "scopes": ["read"], "expires_at": 4102444800000},
                    {"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}):
            self.assertStatus(self.call("POST", "/api/v1/api-keys", bad, token=admin), 400, "invalid", msg=repr(bad))
        self.assertStatus(self.call("POST", "/api/v1/api-keys", {"name": "x", "scopes": ["read"]},
                                    token=self.tok("a", "operator")), 403, "forbidden")
        self.assertStatus(self.call("GET", "/api/v1/api-keys", token=self.tok("a", "operator")), 403, "forbidden")
        self.assertStatus(self.call("DELETE", "/api/v1/api-keys/" + str(uuid.uuid4()), token=admin), 404, "not_found")
        # A key scoped for control only cannot read.
        r = self.assertStatus(self.call("POST", "/api/v1/api-keys", {"name": "ctl", "scopes": ["control"]},
                                        token=admin), 201)
        self.assertStatus(self.call("GET", "/api/v1/organizations/" + self.orgs["a"]["id"], api_key=r.json()["key"]),
                          403, "forbidden")
        self.assertStatus(self.call("GET", "/api/v1/auth/me", api_key="vck_not_a_real_key"), 401, "unauthenticated")

    # -- audit -------------------------------------------------------------
    def test_audit_is_per_organisation_for_admins_and_global_for_the_superadmin(self):
        rows_a = self.audit(token=self.tok("a", "admin"))
        self.assertTrue(rows_a)
        self.assertTrue(all(r["organization_id"] == self.orgs["a"]["id"] for r in rows_a), rows_a[:3])
        # Naming another organisation does not widen an admin's view.
        rows = self.audit(token=self.tok("a", "admin"), organization_id=self.orgs["b"]["id"])
        self.assertTrue(all(r["organization_id"] == self.orgs["a"]["id"] for r in rows))
        everything = self.audit()
        orgs_seen = {r["organization_id"] for r in everything}
        self.assertIn(self.orgs["a"]["id"], orgs_seen)
        self.assertIn(self.orgs["b"]["id"], orgs_seen)
        only_b = self.audit(organization_id=self.orgs["b"]["id"])
        self.assertTrue(only_b)
        self.assertTrue(all(r["organization_id"] == self.orgs["b"]["id"] for r in only_b))
        for role in ("viewer", "speaker", "operator"):
            self.assertStatus(self.call("GET", "/api/v1/audit", token=self.tok("a", role)), 403, "forbidden")
        self.assertStatus(self.call("GET", "/api/v1/audit"), 401)
        row = rows_a[0]
        for field in ("id", "at", "actor_kind", "actor_id", "organization_id", "action", "object_type", "object_id",
                      "address", "details"):
            self.assertIn(field, row)
        self.assertIsInstance(row["details"], dict)

    def test_audit_records_sign_ins_and_failures_with_the_actor(self):
        user = self.users["b"]["operator"]
        self.assertStatus(self.server.login(user["username"], "wrong-Password-0"), 401)
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD), 200)
        failed = self.audit(action="auth.login_failed", object_id=user["id"])
        self.assertTrue(failed, "failed sign-in not audited")
        self.assertEqual(failed[0]["details"].get("username"), user["username"])
        ok = self.audit(action="auth.login", actor_id=user["id"])
        self.assertTrue(ok, "sign-in not audited")
        self.assertEqual(ok[0]["organization_id"], self.orgs["b"]["id"])
        # The admin of B sees both; the admin of A sees neither.
        self.assertTrue(self.audit(token=self.tok("b", "admin"), action="auth.login", actor_id=user["id"]))
        self.assertFalse(self.audit(token=self.tok("a", "admin"), action="auth.login", actor_id=user["id"]))

    def test_audit_filters_and_cursor_paging(self):
        admin_b = self.users["b"]["admin"]
        created = [self.new_user("b", "viewer", by=admin_b["token"]) for _ in range(3)]
        mine = self.audit(action="user.create", actor_id=admin_b["id"])
        for u in created:
            self.assertIn(u["id"], [r["object_id"] for r in mine])
        self.assertTrue(all(r["actor_id"] == admin_b["id"] and r["action"] == "user.create" for r in mine))
        items, pages = self.collect_pages(self.server, "/api/v1/audit", self.super_token,
                                          query={"action": "user.create", "actor_id": admin_b["id"]}, limit=1)
        self.assertEqual([r["id"] for r in items], [r["id"] for r in mine])
        self.assertEqual(pages, len(mine))
        ids = [r["id"] for r in items]
        self.assertEqual(ids, sorted(ids, reverse=True), "audit pages are not newest first")
        by_type = self.audit(object_type="user", object_id=created[0]["id"])
        self.assertTrue(by_type and all(r["object_id"] == created[0]["id"] for r in by_type))
        # Time window.
        self.assertEqual(self.audit(since="2999-01-01T00:00:00Z"), [])
        self.assertEqual(self.audit(until="2000-01-01T00:00:00Z"), [])
        first = mine[-1]
        window = self.audit(action="user.create", actor_id=admin_b["id"], since=first["at"])
        self.assertIn(first["id"], [r["id"] for r in window])
        self.assertStatus(self.call("GET", "/api/v1/audit", token=self.super_token, query={"since": "yesterday"}),
                          400, "invalid")
        self.assertStatus(self.call("GET", "/api/v1/audit", token=self.super_token, query={"cursor": "bogus"}),
                          400, "invalid")
        self.assertStatus(self.call("GET", "/api/v1/audit", token=self.super_token, query={"limit": "500"}),
                          400, "invalid")

    def test_forwarded_for_is_ignored_without_trusted_proxies(self):
        user = self.users["a"]["speaker"]
        self.assertStatus(self.server.login(user["username"], USER_PASSWORD,
                                            headers={"X-Forwarded-For": "203.0.113.77"}), 200)
        rows = self.audit(action="auth.login", actor_id=user["id"])
        self.assertTrue(rows)
        self.assertEqual(rows[0]["address"], "127.0.0.1")

    # -- the matrix --------------------------------------------------------
    def _matrix_target(self, path):
        """(id of an object in organisation A, PATCH body that changes nothing) for a route."""
        if path.startswith("/api/v1/organizations/"):
            return self.orgs["a"]["id"], {"name": self.orgs["a"]["name"]}
        if path.startswith("/api/v1/users/"):
            return self.victim_user["id"], {"role": "viewer"}
        if path.startswith("/api/v1/api-keys/"):
            return self.victim_key["id"], {}
        if path.startswith("/api/v1/media/"):
            # PATCH renames to the same name; POST …/devices links it to its own device again.
            return self.victim_media["id"], {"name": self.victim_media["name"], "device_id": self.victim_device}
        if path.startswith("/api/v1/groups/"):
            # A valid body for the fan-out routes, so only the group decides (404 from elsewhere, 403 below).
            if path.endswith("/control"):
                return self.victim_group["id"], {"action": "pause"}
            if path.endswith("/placeholder"):
                return self.victim_group["id"], {"media_id": self.victim_media["id"]}
            return self.victim_group["id"], {"name": self.victim_group["name"]}
        if path.startswith("/api/v1/playlists/"):
            return self.victim_playlist["id"], self.victim_playlist_body
        if path.startswith("/api/v1/assignments/"):
            return self.victim_assignment["id"], self.victim_assignment_body
        if path.startswith("/api/v1/devices/"):
            return self.victim_device, {}
        if path.startswith("/api/v1/webhooks/"):
            return self.victim_webhook["id"], {}
        if path.startswith("/api/v1/overrides/"):
            return self.victim_override["id"], {}
        self.fail("no matrix target for %s: extend _matrix_target" % path)

    def test_matrix_other_organisation_404_lower_role_403_no_token_401(self):
        r = self.assertStatus(self.call("GET", "/api/v1/openapi.json"), 200)
        doc = r.json()
        routes = [(m.upper(), p) for p, ops in doc["paths"].items() if "{id}" in p
                  for m in ops if m in ("get", "put", "post", "patch", "delete")]
        self.assertTrue(routes)
        missing = [rt for rt in routes if rt not in REQUIRED_ROLE]
        self.assertFalse(missing, "routes with {id} missing from REQUIRED_ROLE: %r" % missing)

        failures = []

        def expect(reply, status, code, what):
            if reply.status != status or (code and reply.code != code):
                failures.append("%s: expected %d %s, got %r" % (what, status, code or "", reply))

        for method, pattern in routes:
            need = REQUIRED_ROLE[(method, pattern)]
            target, patch = self._matrix_target(pattern)
            path = pattern.replace("{id}", target)
            body = patch if method in ("PATCH", "PUT", "POST") else None
            label = "%s %s" % (method, pattern)

            expect(self.call(method, path, body), 401, "unauthenticated", label + " without a token")
            r = self.call(method, path, body, token="garbage")
            expect(r, 401, "unauthenticated", label + " with a bad token")

            # Another organisation: never a hint that the object exists. With a role that would be
            # enough at home the answer is 404; with any role it is the answer for an unknown id.
            ghost = pattern.replace("{id}", str(uuid.uuid4()))
            for role in ROLES:
                tok = self.tok("b", role)
                other = self.call(method, path, body, token=tok)
                unknown = self.call(method, ghost, body, token=tok)
                if (other.status, other.code) != (unknown.status, unknown.code):
                    failures.append("%s as %s of another organisation: %r differs from an unknown id: %r"
                                    % (label, role, other, unknown))
                if need != "superadmin" and ROLES.index(role) >= ROLES.index(need):
                    expect(other, 404, "not_found", "%s as %s of another organisation" % (label, role))
            # A role below the required one, at home: 403.
            ladder = ROLES + ("superadmin",)
            if ladder.index(need) > 0:
                below = ladder[ladder.index(need) - 1]
                expect(self.call(method, path, body, token=self.tok("a", below)), 403, "forbidden",
                       "%s as %s (needs %s)" % (label, below, need))
            # The required role itself succeeds (destructive methods are covered by the CRUD tests).
            if method in ("GET", "PATCH"):
                tok = self.super_token if need == "superadmin" else self.tok("a", need)
                r = self.call(method, path, body, token=tok)
                if r.status != 200:
                    failures.append("%s as %s: expected 200, got %r" % (label, need, r))
        if failures:
            self.fail("%d matrix expectation(s) failed:\n%s" % (len(failures), "\n".join(failures)))
        # Nothing in A was changed or deleted along the way.
        self.assertStatus(self.call("GET", "/api/v1/users/" + self.victim_user["id"], token=self.tok("a", "admin")), 200)
        self.assertStatus(self.call("GET", "/api/v1/organizations/" + self.orgs["a"]["id"],
                                    token=self.tok("a", "viewer")), 200)
        r = self.assertStatus(self.call("GET", "/api/v1/api-keys", token=self.tok("a", "admin"), query={"limit": 200}), 200)
        key = [k for k in r.json()["items"] if k["id"] == self.victim_key["id"]]
        self.assertTrue(key and key[0]["revoked_at"] is None, "the victim key was revoked by someone not allowed to")
        for path in ("/api/v1/groups/" + self.victim_group["id"], "/api/v1/playlists/" + self.victim_playlist["id"]):
            self.assertStatus(self.call("GET", path, token=self.tok("a", "viewer")), 200)
        r = self.assertStatus(self.call("GET", "/api/v1/overrides", token=self.tok("a", "viewer")), 200)
        self.assertIn(self.victim_override["id"], [o["id"] for o in r.json()["items"]],
                      "the victim override was cleared by someone not allowed to")

    def test_openapi_document_is_served(self):
        r = self.assertStatus(self.call("GET", "/api/v1/openapi.json"), 200)
        doc = r.json()
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertIn("/api/v1/auth/login", doc["paths"])
        self.assertIn("bearerAuth", doc["components"]["securitySchemes"])
        self.assertIn("apiKey", doc["components"]["securitySchemes"])


# --------------------------------------------------------------------------
# Rate limits: servers of their own
# --------------------------------------------------------------------------

class LoginRateLimitTest(ApiTestCase):

    def setUp(self):
        self.server = Server(env={"TRUSTED_PROXIES": "127.0.0.1", "LOGIN_ATTEMPTS": "5"})
        self.addCleanup(self.server.cleanup)
        self.token = self.server.token("admin", ADMIN_PASSWORD)["access_token"]

    def test_a_trusted_proxy_forwards_the_client_address(self):
        s = self.server
        self.assertStatus(s.login("admin", ADMIN_PASSWORD, headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.10"}), 200)
        r = self.assertStatus(s.call("GET", "/api/v1/audit", token=self.token,
                                     query={"action": "auth.login", "limit": 1}), 200)
        self.assertEqual(r.json()["items"][0]["address"], "192.0.2.10",
                         "the right-most address the proxy added is the client")

    def test_five_failures_for_one_account_from_many_addresses_lock_it(self):
        s = self.server
        for i in range(5):
            self.assertStatus(s.login("admin", "wrong-Password-%d" % i,
                                      headers={"X-Forwarded-For": "198.51.100.%d" % (i + 1)}), 401, "unauthenticated",
                              msg="failure %d" % (i + 1))
        r = self.assertStatus(s.login("admin", "wrong-Password-x", headers={"X-Forwarded-For": "198.51.100.99"}),
                              429, "rate_limited")
        self.assertLessEqual(int(r.headers["retry-after"]), 15 * 60)
        # Even the right password waits: the account is locked, not the address.
        self.assertStatus(s.login("admin", ADMIN_PASSWORD, headers={"X-Forwarded-For": "198.51.100.100"}),
                          429, "rate_limited")
        r = self.assertStatus(s.call("GET", "/api/v1/audit", token=self.token,
                                     query={"action": "auth.login_failed", "limit": 50}), 200)
        addresses = {row["address"] for row in r.json()["items"]}
        self.assertTrue({"198.51.100.%d" % i for i in range(1, 6)} <= addresses, addresses)

    def test_five_failures_from_one_address_across_accounts_lock_the_address(self):
        s = self.server
        xff = {"X-Forwarded-For": "203.0.113.50"}
        for i in range(5):
            self.assertStatus(s.login(unique("ghost%d" % i), "wrong-Password-1", headers=xff), 401,
                              msg="failure %d" % (i + 1))
        self.assertStatus(s.login(unique("ghost"), "wrong-Password-1", headers=xff), 429, "rate_limited")
        self.assertStatus(s.login("admin", ADMIN_PASSWORD, headers=xff), 429, "rate_limited")
        # Another address is not affected.
        self.assertStatus(s.login("admin", ADMIN_PASSWORD, headers={"X-Forwarded-For": "203.0.113.51"}), 200)


class ApiRateLimitTest(ApiTestCase):

    def test_requests_over_the_per_minute_limit_get_429_with_retry_after(self):
        server = Server(env={"RATE_LIMIT_PER_MINUTE": "5"})
        self.addCleanup(server.cleanup)
        token = server.token("admin", ADMIN_PASSWORD)["access_token"]
        for i in range(5):
            self.assertStatus(server.call("GET", "/api/v1/auth/me", token=token), 200, msg="request %d" % (i + 1))
        r = self.assertStatus(server.call("GET", "/api/v1/auth/me", token=token), 429, "rate_limited")
        self.assertLessEqual(int(r.headers["retry-after"]), 60)
        # The limit is per user: a new sign-in of the same user does not reset it.
        token2 = server.token("admin", ADMIN_PASSWORD)["access_token"]
        self.assertStatus(server.call("GET", "/api/v1/auth/me", token=token2), 429, "rate_limited")


if __name__ == "__main__":
    api_support.run_main()
