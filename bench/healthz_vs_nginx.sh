#!/usr/bin/env bash
# Benchmark GET /healthz of videocontrol-server against nginx serving the same bytes.
#
# Usage: bench/healthz_vs_nginx.sh [path/to/videocontrol-server]
#        (default: build/apps/server/videocontrol-server)
# Environment:
#   DURATION  seconds per wrk run (default 10)
#   WARMUP    seconds of warm-up per target before measuring (default 1, 0 = none)
#   NGINX     nginx binary (default /usr/sbin/nginx)
#   WRK       wrk binary (default wrk)
#   NGINX_HEALTHZ  how nginx serves the body: "alias" (default; the captured file, with
#             open_file_cache) or "return" (the same bytes from memory via `return 200`)
#
# Both servers listen on 127.0.0.1 on free ports, live in one mktemp directory and are
# stopped by an EXIT trap. wrk: -t2 -c50 --latency, keep-alive.
set -euo pipefail

BIN=${1:-build/apps/server/videocontrol-server}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-wrk}
NGINX_HEALTHZ=${NGINX_HEALTHZ:-alias}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

[[ -x "$BIN" ]] || die "server binary not found or not executable: $BIN"
[[ -x "$NGINX" ]] || die "nginx not found: $NGINX"
command -v "$WRK" >/dev/null || die "wrk not found: $WRK"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found (used to pick free ports)"
BIN=$(readlink -f "$BIN")

TMP=$(mktemp -d -t vc-bench.XXXXXX)
chmod 755 "$TMP"   # nginx workers may run as 'nobody' when started as root
SERVER_PID=""
NGINX_PID=""

cleanup() {
    local rc=$?
    set +e
    stop_pid "$SERVER_PID"
    stop_pid "$NGINX_PID"
    if [[ $rc -ne 0 ]]; then
        for f in "$TMP/server.err" "$TMP/nginx/error.log"; do
            [[ -s "$f" ]] && { echo "--- tail of $f:" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT

read -r VC_PORT NG_PORT < <(free_ports 2)

# --- our server --------------------------------------------------------------
mkdir -p "$TMP/data"
HOST=127.0.0.1 PORT="$VC_PORT" DATA_DIR="$TMP/data" LOG_LEVEL=warn \
    ADMIN_PASSWORD="bench-$RANDOM-$RANDOM-pw" \
    "$BIN" >"$TMP/server.out" 2>"$TMP/server.err" </dev/null &
SERVER_PID=$!
wait_http "http://127.0.0.1:$VC_PORT/healthz" "$SERVER_PID" "videocontrol-server"

curl -fsS --max-time 5 -o "$TMP/healthz.json" "http://127.0.0.1:$VC_PORT/healthz"
chmod 644 "$TMP/healthz.json"

# --- nginx -------------------------------------------------------------------
NG="$TMP/nginx"
mkdir -p "$NG"
chmod 755 "$NG"
case "$NGINX_HEALTHZ" in
    alias)
        NG_LOCATION="alias $TMP/healthz.json;"
        ;;
    return)
        grep -q '[$]' "$TMP/healthz.json" && die "NGINX_HEALTHZ=return: body contains '\$'"
        # nginx single-quoted string: escape backslash and single quote.
        NG_BODY=$(sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$TMP/healthz.json")
        NG_LOCATION="return 200 '$NG_BODY';"
        ;;
    *) die "NGINX_HEALTHZ must be alias or return" ;;
esac
cat >"$NG/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $NG/client_body;
    proxy_temp_path $NG/proxy;
    fastcgi_temp_path $NG/fastcgi;
    uwsgi_temp_path $NG/uwsgi;
    scgi_temp_path $NG/scgi;
    keepalive_requests 1000000;
    server_tokens off;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;

    server {
        listen 127.0.0.1:$NG_PORT;
        location = /healthz {
            default_type application/json;
            $NG_LOCATION
        }
    }
}
EOF
"$NGINX" -t -q -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" \
    || die "nginx rejected the generated config"
"$NGINX" -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" >"$NG/stdout.log" 2>&1 </dev/null &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NG_PORT/healthz" "$NGINX_PID" "nginx"

curl -fsS --max-time 5 -o "$TMP/healthz.nginx.json" "http://127.0.0.1:$NG_PORT/healthz"
cmp -s "$TMP/healthz.json" "$TMP/healthz.nginx.json" \
    || die "nginx does not serve the same /healthz bytes"

# --- wrk ---------------------------------------------------------------------
# run_wrk and parse_wrk: bench/lib.sh

echo "healthz body ($(wc -c <"$TMP/healthz.json") bytes): $(cat "$TMP/healthz.json")"
echo "wrk -t2 -c50 -d${DURATION}s --latency (warm-up ${WARMUP}s), $(nproc) CPU(s) shared by client and server"
echo

run_wrk ours "http://127.0.0.1:$VC_PORT/healthz"
run_wrk nginx "http://127.0.0.1:$NG_PORT/healthz"

ASAN_NOTE=""
if grep -qa -m1 '__asan_init' "$BIN" 2>/dev/null; then
    ASAN_NOTE=" (NOTE: this binary appears to be built with AddressSanitizer — figures are not representative)"
fi

echo "=== summary"
echo "fairness: videocontrol-server runs 1 network thread by default; nginx runs 1 worker process"
echo "          (master_process on, access_log off, keepalive_requests 1000000, /healthz via $NGINX_HEALTHZ);"
echo "          LOG_LEVEL=warn for ours; wrk shares the same $(nproc) CPU(s).$ASAN_NOTE"
awk -v r1="$RPS_ours" -v r2="$RPS_nginx" -v p1="$P99_ours" -v p2="$P99_nginx" 'BEGIN {
    printf "%-22s %14s %12s\n", "", "requests/s", "p99 (ms)"
    printf "%-22s %14.2f %12.3f\n", "videocontrol-server", r1, p1
    printf "%-22s %14.2f %12.3f\n", "nginx", r2, p2
    printf "%-22s %14s %12s\n", "ratio ours/nginx",
        (r2 > 0 ? sprintf("%.3f", r1 / r2) : "n/a"),
        (p2 > 0 ? sprintf("%.3f", p1 / p2) : "n/a")
}'
