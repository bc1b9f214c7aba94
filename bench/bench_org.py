#!/usr/bin/python3
"""Creates the benchmarks' organisation: an ENTERPRISE organisation "bench" (no device limit), an API
key of it (scopes read, write) and DEVICES devices bench-0000…, over one keep-alive connection.
Prints the API key. With --user PASSWORD it also creates the organisation's admin "bench-admin" with
that password, signs it in, and prints its access token (a JWT) on a second line.

Usage: bench/bench_org.py PORT ADMIN_PASSWORD DEVICES [--user PASSWORD]
"""
import http.client
import json
import sys


def main():
    port, admin_password, devices = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    user_password = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--user" else None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(method, path, body=None, token=None):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            sys.exit("%s %s -> %d %s" % (method, path, r.status, data[:300]))
        return json.loads(data) if data else None

    admin = call("POST", "/api/v1/auth/login", {"username": "admin", "password": admin_password})["access_token"]
    org = call("POST", "/api/v1/organizations", {"name": "Bench", "slug": "bench", "plan": "ENTERPRISE"}, admin)
    key = call("POST", "/api/v1/api-keys", {"name": "bench", "scopes": ["read", "write"], "organization_id": org["id"]},
               admin)["key"]
    for i in range(devices):
        call("POST", "/api/v1/devices", {"device_id": "bench-%04d" % i, "name": "Screen %d" % i}, key)
    print(key)
    if user_password:
        call("POST", "/api/v1/users", {"username": "bench-admin", "password": user_password, "role": "admin",
                                       "organization_id": org["id"]}, admin)
        print(call("POST", "/api/v1/auth/login", {"username": "bench-admin", "password": user_password})["access_token"])


if __name__ == "__main__":
    main()
