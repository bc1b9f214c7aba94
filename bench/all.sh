#!/usr/bin/env bash
# The speed table of issue 16 in one command: each row is our server against a reference measured in
# the same run (nginx serving the byte-identical body from a file), printed as one ratio table:
#   - GET /api/v1/devices?limit=PAGE (DEVICES devices) with an API key, and with a JWT (a user of the
#     organisation), on SQLite;
#   - a player's fetch of a 10 KB image through the player route (/content/{device}/{file}, which is
#     /api/files/resolve/… under the 2.x players' name), DEVICE_CREDENTIALS=off;
#   - the same two device-list rows with the server on PostgreSQL (a throwaway server from
#     scripts/pg_test_server.sh on a free port; PG=0 skips);
#   - control → player p99 at 100 commands/s and one command to each device, from
#     bench/realtime_load.sh at a reduced scale (REALTIME_PLAYERS players; 0 skips), next to its
#     reference (player/ping → pong on the same sockets) and the issue's goals.
#
# Usage: bench/all.sh [path/to/videocontrol-server]   (default: build/apps/server/videocontrol-server)
# Environment:
#   DURATION          seconds per wrk run (default 5)
#   WARMUP            seconds of warm-up per target before measuring (default 1, 0 = none)
#   DEVICES           devices in the organisation (default 500)
#   PAGE              ?limit= of the measured list (default 50)
#   IMAGE_BYTES       approximate size of the image (default 10240)
#   PG                1 = also on PostgreSQL (default), 0 = skip
#   REALTIME_PLAYERS  players of the realtime rows (default 1000; the issue's figure is 10000), 0 = skip
#   NGINX, WRK        binaries (default /usr/sbin/nginx, wrk)
#
# Everything listens on 127.0.0.1 on free ports and lives in one mktemp directory; an EXIT trap stops
# the servers, nginx and PostgreSQL. wrk: -t2 -c50 --latency, keep-alive, the credential header on both
# (nginx ignores it). Servers run with RATE_LIMIT_PER_MINUTE and LOGIN_ATTEMPTS high enough never to
# refuse, MAX_CONNECTIONS_PER_ADDRESS=0 (every client is 127.0.0.1) and LOG_LEVEL=warn.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

BIN=${1:-build/apps/server/videocontrol-server}
export DURATION=${DURATION:-5}
export WARMUP=${WARMUP:-1}
DEVICES=${DEVICES:-500}
PAGE=${PAGE:-50}
IMAGE_BYTES=${IMAGE_BYTES:-10240}
PG=${PG:-1}
REALTIME_PLAYERS=${REALTIME_PLAYERS:-1000}
NGINX=${NGINX:-/usr/sbin/nginx}
export WRK=${WRK:-wrk}

[[ -x "$BIN" ]] || die "server binary not found or not executable: $BIN"
[[ -x "$NGINX" ]] || die "nginx not found: $NGINX"
command -v "$WRK" >/dev/null || die "wrk not found: $WRK"
command -v curl >/dev/null || die "curl not found"
BIN=$(readlink -f "$BIN")

TMP=$(mktemp -d -t vc-bench-all.XXXXXX)
chmod 755 "$TMP"   # nginx workers (and PostgreSQL, as root) run as other users
SERVER_PID=""
NGINX_PID=""
PG_DIR=""

cleanup() {
    local rc=$?
    set +e
    stop_pid "$SERVER_PID"
    stop_pid "$NGINX_PID"
    [[ -n "$PG_DIR" ]] && bash "$HERE/../scripts/pg_test_server.sh" stop "$PG_DIR" >/dev/null 2>&1
    if [[ $rc -ne 0 ]]; then
        for f in "$TMP"/server-*.err "$TMP/nginx/error.log"; do
            [[ -s "$f" ]] && { echo "--- tail of $f:" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT

read -r VC_PORT NG_PORT PG_PORT < <(free_ports 3)
BASE="http://127.0.0.1:$VC_PORT"
NG_BASE="http://127.0.0.1:$NG_PORT"
ADMIN_PW="bench-$RANDOM-$RANDOM-Pw"
USER_PW="Bench-User-$RANDOM-Pw-2026"
LIST_PATH="/api/v1/devices?limit=$PAGE"
IMAGE_NAME=bench.png
PLAYER_PATH="/content/bench-0000/$IMAGE_NAME"

# start_server NAME [VAR=value ...]: our server with a fresh data folder; sets SERVER_PID.
start_server() {
    local name=$1
    shift
    mkdir -p "$TMP/data-$name"
    env HOST=127.0.0.1 PORT="$VC_PORT" DATA_DIR="$TMP/data-$name" LOG_LEVEL=warn ADMIN_PASSWORD="$ADMIN_PW" \
        RATE_LIMIT_PER_MINUTE=1000000 LOGIN_ATTEMPTS=1000000 MAX_CONNECTIONS_PER_ADDRESS=0 \
        DEVICE_CREDENTIALS=off "$@" \
        "$BIN" >"$TMP/server-$name.out" 2>"$TMP/server-$name.err" </dev/null &
    SERVER_PID=$!
    wait_http "$BASE/healthz" "$SERVER_PID" "videocontrol-server ($name)"
}

# make_org NAME: the organisation, its API key (KEY) and a JWT of its admin (TOKEN); the device list
# with each saved as $TMP/devices-NAME.json after checking both give the same bytes.
make_org() {
    local name=$1 out
    echo "[$name] creating an organisation with $DEVICES devices ..."
    out=$("$BENCH_PY" "$HERE/bench_org.py" "$VC_PORT" "$ADMIN_PW" "$DEVICES" --user "$USER_PW") \
        || die "could not create the organisation"
    KEY=$(sed -n 1p <<<"$out")
    TOKEN=$(sed -n 2p <<<"$out")
    [[ -n "$KEY" && -n "$TOKEN" ]] || die "bench_org.py printed no key or token"
    curl -fsS --max-time 10 -H "Authorization: Bearer $KEY" -o "$TMP/devices-$name.json" "$BASE$LIST_PATH"
    curl -fsS --max-time 10 -H "Authorization: Bearer $TOKEN" -o "$TMP/devices-$name.jwt.json" "$BASE$LIST_PATH"
    cmp -s "$TMP/devices-$name.json" "$TMP/devices-$name.jwt.json" \
        || die "the device list differs between the API key and the JWT"
    chmod 644 "$TMP/devices-$name.json"
    "$BENCH_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["items"]) == int(sys.argv[2]), len(d["items"])' \
        "$TMP/devices-$name.json" "$PAGE" || die "the device list does not have $PAGE items"
}

# A real PNG of about IMAGE_BYTES (random pixels do not compress), so the pipeline takes it as an image.
"$BENCH_PY" - "$TMP/$IMAGE_NAME" "$IMAGE_BYTES" <<'EOF'
import os, struct, sys, zlib
path, size = sys.argv[1], int(sys.argv[2])
side = max(8, int((size / 3) ** 0.5))
raw = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(path, "wb").write(png)
EOF
chmod 644 "$TMP/$IMAGE_NAME"

# --- nginx: the reference for every HTTP row ------------------------------------------------------
write_nginx_conf "$TMP/nginx" "$NG_PORT" "
        location = /api/v1/devices { default_type application/json; alias $TMP/devices-sqlite.json; }
        location = /pg/api/v1/devices { default_type application/json; alias $TMP/devices-pg.json; }
        location = $PLAYER_PATH { default_type image/png; alias $TMP/$IMAGE_NAME; }"
start_nginx "$NGINX" "$TMP/nginx"

echo "wrk -t2 -c50 -d${DURATION}s --latency (warm-up ${WARMUP}s); $(nproc) CPU(s) shared by wrk, the servers and nginx"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- SQLite: device list (API key, JWT) and the player's image -------------------------------------
start_server sqlite
make_org sqlite
echo "[sqlite] uploading a $(wc -c <"$TMP/$IMAGE_NAME")-byte image to bench-0000 ..."
curl -fsS --max-time 30 -H "Authorization: Bearer $KEY" -o /dev/null \
    -F "files=@$TMP/$IMAGE_NAME;filename=$IMAGE_NAME;type=image/png" "$BASE/api/v1/devices/bench-0000/media" \
    || die "upload failed"
# The pipeline makes a thumbnail in the background: wait for it, so it does not run during wrk.
for _ in $(seq 1 300); do
    curl -fsS --max-time 5 -H "Authorization: Bearer $KEY" "$BASE/api/v1/devices/bench-0000/media" \
        | grep -q '"processing"' || break
    sleep 0.1
done
curl -fsS --max-time 5 -o "$TMP/image.ours" "$BASE$PLAYER_PATH" || die "the player route does not serve the image"
cmp -s "$TMP/image.ours" "$TMP/$IMAGE_NAME" || die "the player route serves other bytes than were uploaded"
wait_http "$NG_BASE$LIST_PATH" "$NGINX_PID" "nginx"
curl -fsS --max-time 5 -o "$TMP/devices.nginx.json" "$NG_BASE$LIST_PATH"
cmp -s "$TMP/devices-sqlite.json" "$TMP/devices.nginx.json" || die "nginx does not serve the same device list bytes"
curl -fsS --max-time 5 -o "$TMP/image.nginx" "$NG_BASE$PLAYER_PATH"
cmp -s "$TMP/image.nginx" "$TMP/$IMAGE_NAME" || die "nginx does not serve the same image bytes"

run_wrk ours_key "$BASE$LIST_PATH" "Authorization: Bearer $KEY"
run_wrk ours_jwt "$BASE$LIST_PATH" "Authorization: Bearer $TOKEN"
run_wrk nginx_list "$NG_BASE$LIST_PATH" "Authorization: Bearer $KEY"
run_wrk ours_image "$BASE$PLAYER_PATH"
run_wrk nginx_image "$NG_BASE$PLAYER_PATH"
stop_pid "$SERVER_PID"
SERVER_PID=""

# --- PostgreSQL: the device list again --------------------------------------------------------------
if [[ "$PG" == "1" ]]; then
    PG_DIR="$TMP/pg"
    echo "[pg] starting PostgreSQL on 127.0.0.1:$PG_PORT ..."
    PG_URL=$(bash "$HERE/../scripts/pg_test_server.sh" start "$PG_DIR" "$PG_PORT") || die "PostgreSQL did not start"
    start_server pg DATABASE_URL="$PG_URL"
    make_org pg
    curl -fsS --max-time 5 -o "$TMP/devices.nginx-pg.json" "$NG_BASE/pg$LIST_PATH"
    cmp -s "$TMP/devices-pg.json" "$TMP/devices.nginx-pg.json" || die "nginx does not serve the same device list bytes (pg)"
    run_wrk pg_key "$BASE$LIST_PATH" "Authorization: Bearer $KEY"
    run_wrk pg_jwt "$BASE$LIST_PATH" "Authorization: Bearer $TOKEN"
    run_wrk nginx_pg_list "$NG_BASE/pg$LIST_PATH" "Authorization: Bearer $KEY"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    bash "$HERE/../scripts/pg_test_server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    PG_DIR=""
fi
stop_pid "$NGINX_PID"
NGINX_PID=""

# --- realtime: control → player and fan-out (bench/realtime_load.sh, reduced scale) ----------------
RT_SUMMARY=""
if [[ "$REALTIME_PLAYERS" != "0" ]]; then
    echo "[realtime] bench/realtime_load.sh $REALTIME_PLAYERS --seconds $DURATION ..."
    if VC_SERVER_BINARY="$BIN" bash "$HERE/realtime_load.sh" "$REALTIME_PLAYERS" --seconds "$DURATION" \
        >"$TMP/realtime.out" 2>&1; then
        cat "$TMP/realtime.out"
        RT_SUMMARY=$(grep '^summary:' "$TMP/realtime.out" | tail -n1)
    else
        cat "$TMP/realtime.out" >&2
        echo "WARNING: bench/realtime_load.sh failed; the realtime rows are left out" >&2
    fi
fi

# --- the table ----------------------------------------------------------------------------------------
rt_field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$RT_SUMMARY"; }
echo
echo "=== speed table (issue 16): $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPU(s), load average after: $(cut -d' ' -f1-3 /proc/loadavg)$(asan_note "$BIN")"
echo "    device list: $DEVICES devices, ?limit=$PAGE ($(wc -c <"$TMP/devices-sqlite.json") bytes); image: $(wc -c <"$TMP/$IMAGE_NAME") bytes; wrk -t2 -c50 -d${DURATION}s"
row() {  # row LABEL NAME_OURS NAME_NGINX GOAL (NAME_*: the run_wrk names)
    local r1="RPS_$2" p1="P99_$2" r2="RPS_$3" p2="P99_$3"
    awk -v l="$1" -v r1="${!r1:-0}" -v p1="${!p1:-0}" -v r2="${!r2:-0}" -v p2="${!p2:-0}" -v g="$4" 'BEGIN {
        printf "%-40s %10.0f %8.2f %10.0f %8.2f %6s %6s  %s\n", l, r1, p1, r2, p2,
            (r2 > 0 ? sprintf("%.2f", r1 / r2) : "n/a"), (p2 > 0 ? sprintf("%.2f", p1 / p2) : "n/a"), g }'
}
printf "%-40s %10s %8s %10s %8s %6s %6s  %s\n" "path" "ours req/s" "p99 ms" "nginx r/s" "p99 ms" "ratio" "p99 ×" "goal"
row "devices?limit=$PAGE, API key (SQLite)" ours_key nginx_list "≥ 0.6×, p99 ≤ nginx's"
row "devices?limit=$PAGE, JWT (SQLite)" ours_jwt nginx_list "≥ 0.6×, p99 ≤ nginx's"
row "player fetch, $(wc -c <"$TMP/$IMAGE_NAME")-byte image" ours_image nginx_image "≥ 0.6×"
if [[ "$PG" == "1" ]]; then
    row "devices?limit=$PAGE, API key (PostgreSQL)" pg_key nginx_pg_list "≥ 0.6×, p99 ≤ nginx's"
    row "devices?limit=$PAGE, JWT (PostgreSQL)" pg_jwt nginx_pg_list "≥ 0.6×, p99 ≤ nginx's"
fi
if [[ -n "$RT_SUMMARY" ]]; then
    echo
    printf "%-40s %10s   %-30s %s\n" "realtime, $(rt_field players) players" "ours" "reference" "goal (at 10,000 players)"
    printf "%-40s %7s ms   %-30s %s\n" "control → player p99, 100 commands/s" "$(rt_field p99_ms)" \
        "ping → pong p99 $(rt_field ping_p99_ms) ms" "< 10 ms"
    printf "%-40s %8s s   %-30s %s\n" "one command to each device" "$(rt_field fanout_s)" "" "< 0.5 s"
fi
