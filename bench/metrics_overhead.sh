#!/usr/bin/env bash
# What the metrics cost (issue 15, goal under 3 %): the device-list benchmark of devices_vs_nginx.sh
# (GET /api/v1/devices?limit=50 with an API key, 500 devices, wrk -t2 -c50) against the same server
# binary and data with METRICS=true and METRICS=false (no request histogram, no statement timing),
# alternating, ROUNDS times each. Prints every run, the medians and the ratio on/off.
#
# Usage: bench/metrics_overhead.sh [path/to/videocontrol-server]
# Environment: DURATION seconds per run (default 8), ROUNDS (default 3), DEVICES (default 500).
set -euo pipefail

BIN=$(readlink -f "${1:-build/apps/server/videocontrol-server}")
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
DEVICES=${DEVICES:-500}
PY=/usr/bin/python3
[[ -x "$BIN" ]] || { echo "error: no server binary at $BIN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "error: wrk not found" >&2; exit 1; }

TMP=$(mktemp -d -t vc-metrics-bench.XXXXXX)
PID=""
stop() {
  [[ -n "$PID" ]] || return 0
  kill -TERM "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}
trap 'stop; rm -rf "$TMP"' EXIT
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADMIN_PW="bench-$RANDOM-$RANDOM-Pw"

start() {  # start METRICS
  HOST=127.0.0.1 PORT="$PORT" DATA_DIR="$TMP/data" LOG_LEVEL=warn ADMIN_PASSWORD="$ADMIN_PW" METRICS="$1" \
    RATE_LIMIT_PER_MINUTE=1000000 LOGIN_ATTEMPTS=1000000 "$BIN" >"$TMP/server.out" 2>>"$TMP/server.err" </dev/null &
  PID=$!
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { tail "$TMP/server.err" >&2; exit 1; }
    sleep 0.1
  done
  echo "error: server not ready" >&2
  exit 1
}

start true
KEY=$("$PY" "$(dirname "$0")/bench_org.py" "$PORT" "$ADMIN_PW" "$DEVICES")
stop

run() {  # run METRICS → "req/s p99_ms"
  start "$1"
  wrk -t2 -c50 -d1s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/devices?limit=50" >/dev/null
  local out
  out=$(wrk -t2 -c50 -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/devices?limit=50")
  stop
  local rps p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' <<<"$out")
  echo "$rps $p99"
}

declare -a ON OFF
echo "device list, $DEVICES devices, wrk -t2 -c50, ${DURATION}s per run, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
  read -r a ap < <(run true)
  read -r b bp < <(run false)
  ON+=("$a $ap")
  OFF+=("$b $bp")
  printf "  round %d: metrics on %10.1f req/s p99 %6.2f ms | off %10.1f req/s p99 %6.2f ms\n" "$r" "$a" "$ap" "$b" "$bp"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
on=$(printf "%s\n" "${ON[@]}" | cut -d' ' -f1 | median)
off=$(printf "%s\n" "${OFF[@]}" | cut -d' ' -f1 | median)
onp=$(printf "%s\n" "${ON[@]}" | cut -d' ' -f2 | median)
offp=$(printf "%s\n" "${OFF[@]}" | cut -d' ' -f2 | median)
awk -v on="$on" -v off="$off" -v onp="$onp" -v offp="$offp" 'BEGIN {
  printf "median: metrics on %.1f req/s (p99 %.2f ms), off %.1f req/s (p99 %.2f ms)\n", on, onp, off, offp
  printf "ratio on/off: %.3f (overhead %.1f %%)\n", on / off, (1 - on / off) * 100 }'
