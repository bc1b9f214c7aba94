#!/usr/bin/python3
"""Cluster figures for docs/scaling.md, on loopback (starts and stops everything itself):

  1. cross-instance control latency: N commands (default 200) POSTed to instance 1's REST API for a
     python-socketio player (WebSocket) connected to instance 3; latency = time the POST was sent →
     time player/play arrived at the player (both clocks are this process's monotonic clock);
  2. REST throughput of GET /api/v1/devices (with a token) behind nginx, 1 versus 3 instances, with
     wrk -t2 -c50 -d5s (nginx's per-address limit_req is removed for this, RATE_LIMIT_PER_MINUTE is
     at its maximum). nginx runs the shipped TLS server, so this is HTTPS (wrk does not verify the
     test's self-signed certificate; keep-alive connections make handshakes rare).

Usage: /usr/bin/python3 bench/cluster_latency.py [--binary PATH] [--commands N] [--no-wrk]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import api_support  # noqa: E402
import test_cluster as tc  # noqa: E402


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def latency(n):
    c = tc.Cluster(instances=3, nginx=False)
    try:
        s = tc.Setup(c.servers[0], devices=1)
        dev = s.devices[0]
        p = tc.Player(tc.url_of(c.servers[2]), dev, transports=["websocket"])
        lat = []
        try:
            for i in range(n):
                m = p.mark()
                action = "play" if i % 2 == 0 else "pause"
                t0 = time.monotonic()
                r = tc.command(c.servers[0], s.token, dev, action, "pic.png" if action == "play" else None)
                assert r.status == 200, repr(r)
                _, t1 = p.wait_for_event("player/" + action, start=m)
                lat.append((t1 - t0) * 1000.0)
        finally:
            p.close()
        return lat
    finally:
        c.cleanup()


def wrk(instances):
    c = tc.Cluster(instances=instances, nginx=True, edge_rate_limit=False)
    try:
        s = tc.Setup(c.servers[0], devices=20)
        out = subprocess.run(["wrk", "-t2", "-c50", "-d5s", "-H", "Authorization: Bearer " + s.token,
                              "%s/api/v1/devices" % c.nginx.url()], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=60).stdout.decode()
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
        return {"rps": float(rps.group(1)) if rps else None, "non2xx": int(non2xx.group(1)) if non2xx else 0,
                "latency_avg": lat.group(1) if lat else None, "raw": out}
    finally:
        c.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "apps", "server", "videocontrol-server"))
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--no-wrk", action="store_true")
    a = ap.parse_args()
    api_support.BINARY = os.path.abspath(a.binary)
    print("machine: %d CPU(s)" % os.cpu_count())
    lat = latency(a.commands)
    print("cross-instance control latency (REST on instance 1 -> player on instance 3), %d commands:" % len(lat))
    print("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms" % (
        pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat), statistics.mean(lat)))
    if a.no_wrk or not shutil.which("wrk"):
        return
    for n in (1, 3):
        r = wrk(n)
        print("REST GET /api/v1/devices via nginx, %d instance(s): %.0f req/s, avg latency %s, non-2xx %d" % (
            n, r["rps"] or 0, r["latency_avg"], r["non2xx"]))


if __name__ == "__main__":
    main()
