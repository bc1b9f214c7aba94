#!/usr/bin/env bash
# The shipped monitoring files (deploy/prometheus, deploy/grafana) pass their own tools and match
# what the server really exposes:
#   promtool check config prometheus.yml, check rules alerts.yml, test rules alerts_test.yml;
#   a server started here (SQLite in a temporary folder, 127.0.0.1, a free port) serves /metrics
#   that `promtool check metrics` finds nothing to say about, every metric the alerts read is in it,
#   and the Grafana dashboard reads only scraped families and shows all of them (check_dashboard.py).
# Usage: test_observability_configs.sh PATH/TO/videocontrol-server   (PROMTOOL=… to use another promtool)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BINARY=${1:-${VC_SERVER_BINARY:-}}
PROMTOOL=${PROMTOOL:-promtool}
STARTUP_TIMEOUT=${VC_STARTUP_TIMEOUT:-20}
tmp=$(mktemp -d)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
run_check() {  # run_check NAME command…: ok when it exits 0; its output shown on failure
  local name=$1; shift
  if out=$("$@" 2>&1); then ok "$name"; else fail "$name"; echo "$out" | sed 's/^/     /'; fi
}

if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
  echo "FAIL promtool not found (Debian package prometheus; scripts/setup.sh installs it)"
  exit 1
fi

# --- the Prometheus files, in a folder of their own as they would be installed (/etc/prometheus).
mkdir -p "$tmp/prometheus"
cp "$ROOT/deploy/prometheus/prometheus.yml" "$ROOT/deploy/prometheus/alerts.yml" \
   "$ROOT/deploy/prometheus/alerts_test.yml" "$tmp/prometheus/"
run_check "promtool check config prometheus.yml" "$PROMTOOL" check config "$tmp/prometheus/prometheus.yml"
run_check "promtool check rules alerts.yml" "$PROMTOOL" check rules "$tmp/prometheus/alerts.yml"
run_check "promtool test rules alerts_test.yml" bash -c 'cd "$1" && "$2" test rules alerts_test.yml' _ "$tmp/prometheus" "$PROMTOOL"
# Every alert of alerts.yml has a test that makes it fire.
run_check "every alert is tested" python3 - "$ROOT/deploy/prometheus/alerts.yml" "$ROOT/deploy/prometheus/alerts_test.yml" <<'PY'
import re, sys
alerts = set(re.findall(r"^\s*- alert:\s*(\S+)", open(sys.argv[1]).read(), re.M))
text = open(sys.argv[2]).read()
tested = set(re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels", text))
silent = set(re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\[\]", text))
bad = ["%s: no test makes it fire" % a for a in sorted(alerts - tested)]
bad += ["%s: no test shows it silent" % a for a in sorted(alerts - silent)]
print("\n".join(bad) or "%d alerts, each fires and stays silent in a test" % len(alerts))
sys.exit(1 if bad else 0)
PY

# --- a real server's /metrics.
if [ -z "$BINARY" ] || [ ! -x "$BINARY" ]; then
  fail "server binary not given or not executable: '${BINARY}' (usage: $0 PATH/TO/videocontrol-server)"
  echo "observability config checks: $fails failed"
  exit 1
fi
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")  # the server runs in its data folder
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data/content"
admin_password="Obs-Test-Admin-Pw-1"
server_env=(PATH="${PATH:-/usr/bin:/bin}" HOME="$tmp/data" HOST=127.0.0.1 PORT="$port" DATA_DIR="$tmp/data"
  DATABASE_URL="sqlite://$tmp/data/videocontrol.db" CONTENT_DIR="$tmp/data/content"
  JWT_SECRET="observability-test-secret-0123456789abcdef" ADMIN_PASSWORD="$admin_password"
  LOG_LEVEL=warn WORKER_THREADS=4 PROCESSING_WORKERS=1)
for v in LANG LC_ALL TMPDIR TZ ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS ASAN_SYMBOLIZER_PATH LLVM_SYMBOLIZER_PATH; do
  [ -n "${!v:-}" ] && server_env+=("$v=${!v}")
done
(cd "$tmp/data" && exec env -i "${server_env[@]}" "$BINARY" </dev/null >"$tmp/server.log" 2>&1) &
server_pid=$!
ready=""
for _ in $(seq 1 $((STARTUP_TIMEOUT * 10))); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if curl -fsS -o /dev/null --max-time 2 "$base/healthz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  if kill -0 "$server_pid" 2>/dev/null; then fail "server did not answer on $base within ${STARTUP_TIMEOUT}s"
  else fail "server exited at start"; fi
  tail -n 40 "$tmp/server.log" | sed 's/^/     /'
  echo "observability config checks: $fails failed"
  exit 1
fi
ok "server started on $base"

# Some traffic, so the request histogram has routes and status classes, the cache hits and misses.
c() { curl -sS -o /dev/null --max-time 15 -w '%{http_code}' "$@" 2>/dev/null || echo 000; }
c "$base/readyz" >/dev/null
c "$base/api/v1/openapi.json" >/dev/null
c "$base/no/such/page" >/dev/null                       # unmatched, 404
c "$base/api/v1/devices" >/dev/null                     # no token, 401
token=$(curl -sS --max-time 30 "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin).get("access_token", ""))' 2>/dev/null)
if [ -n "$token" ]; then
  auth=(-H "Authorization: Bearer $token")
  c "$base/api/v1/devices" "${auth[@]}" -H 'Content-Type: application/json' -d '{"device_id":"lobby","name":"Lobby"}' >/dev/null
  for _ in 1 2 3; do
    c "$base/api/v1/devices" "${auth[@]}" >/dev/null            # a miss, then hits
    c "$base/api/v1/devices/lobby/media" "${auth[@]}" >/dev/null
  done
  c "$base/api/v1/devices/lobby" "${auth[@]}" >/dev/null
  c "$base/api/v1/devices/nobody" "${auth[@]}" >/dev/null      # 404 on a matched route
  c "$base/api/v1/devices/lobby/commands" "${auth[@]}" -H 'Content-Type: application/json' -d '{"action":"stop"}' >/dev/null
  ok "requests made (signed in as admin)"
else
  fail "could not sign in as admin"; tail -n 20 "$tmp/server.log" | sed 's/^/     /'
fi

if curl -fsS --max-time 15 "$base/metrics" -o "$tmp/metrics.txt"; then
  ok "scraped /metrics ($(grep -c '^# TYPE' "$tmp/metrics.txt") families, $(grep -vc '^#' "$tmp/metrics.txt") samples)"
  # promtool check metrics exits 0 on warnings that it prints; any output is a finding.
  if out=$("$PROMTOOL" check metrics <"$tmp/metrics.txt" 2>&1) && [ -z "$out" ]; then
    ok "promtool check metrics"
  else
    fail "promtool check metrics"; echo "$out" | sed 's/^/     /'
  fi
  run_check "alerts read only scraped metrics" python3 - "$ROOT/tests/integration/check_dashboard.py" \
      "$ROOT/deploy/prometheus/alerts.yml" "$tmp/metrics.txt" <<'PY'
import importlib.util, re, sys
spec = importlib.util.spec_from_file_location("check_dashboard", sys.argv[1])
cd = importlib.util.module_from_spec(spec); spec.loader.exec_module(cd)
families, owner = cd.parse_scrape(open(sys.argv[3]).read())
rules, bad = open(sys.argv[2]).read(), []
# Each rule's expr: a one-line `expr: …` or the indented block after `expr: |`.
for alert, body in re.findall(r"- alert:\s*(\S+)\n(.*?)(?=\n\s*- alert:|\Z)", rules, re.S):
    m = re.search(r"expr:\s*\|\n((?:\s{10,}.*\n?)+)|expr:\s*(.+)", body)
    expr = m.group(1) or m.group(2)
    for n in dict.fromkeys(cd.metric_names(expr)):
        if n not in cd.SYNTHETIC and n not in owner:
            bad.append("%s reads %s, which the server does not expose" % (alert, n))
print("\n".join(bad) or "every metric the alerts read is exposed")
sys.exit(1 if bad else 0)
PY
  run_check "Grafana dashboard matches the scrape (check_dashboard.py)" \
    python3 "$ROOT/tests/integration/check_dashboard.py" "$ROOT/deploy/grafana/videocontrol.json" "$tmp/metrics.txt"
else
  fail "GET /metrics"
fi

stop_server
echo "observability config checks: $fails failed"
[ "$fails" -eq 0 ]
