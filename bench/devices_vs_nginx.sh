#!/usr/bin/env bash
# Benchmark the read paths of issue 4 against nginx serving the same bytes from files:
#   1. GET /api/v1/devices?limit=50 for an organisation of 500 devices (authenticated, served from
#      the library's cache) vs nginx serving the identical JSON body as a static file (wrk);
#   2. a 1 GiB media download, whole and as a 100 MiB Range, vs nginx serving the same file (curl,
#      sequential downloads, MB/s).
# Prints requests/s, p99, the ratios, MB/s and the server's RSS.
#
# Usage: bench/devices_vs_nginx.sh [path/to/videocontrol-server]
#        (default: build/apps/server/videocontrol-server)
# Environment:
#   DURATION     seconds per wrk run (default 10)
#   WARMUP       seconds of warm-up per target before measuring (default 1, 0 = none)
#   DEVICES      devices in the organisation (default 500)
#   PAGE         ?limit= of the measured list (default 50)
#   MEDIA_BYTES  size of the downloaded file (default 1073741824 = 1 GiB; 0 skips the download part)
#   RANGE_BYTES  size of the Range request (default 104857600 = 100 MiB), taken from the middle
#   DOWNLOADS    sequential downloads per measurement (default 5)
#   NGINX        nginx binary (default /usr/sbin/nginx)
#   WRK          wrk binary (default wrk)
#
# Both servers listen on 127.0.0.1 on free ports, live in one mktemp directory and are stopped by an
# EXIT trap. wrk: -t2 -c50 --latency, keep-alive, with an Authorization header for both (nginx
# ignores it). The credential is an API key of the organisation (scopes read, write); the server
# runs with RATE_LIMIT_PER_MINUTE high enough never to refuse.
set -euo pipefail

BIN=${1:-build/apps/server/videocontrol-server}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
DEVICES=${DEVICES:-500}
PAGE=${PAGE:-50}
MEDIA_BYTES=${MEDIA_BYTES:-1073741824}
RANGE_BYTES=${RANGE_BYTES:-104857600}
DOWNLOADS=${DOWNLOADS:-5}
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-wrk}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

[[ -x "$BIN" ]] || die "server binary not found or not executable: $BIN"
[[ -x "$NGINX" ]] || die "nginx not found: $NGINX"
command -v "$WRK" >/dev/null || die "wrk not found: $WRK"
command -v curl >/dev/null || die "curl not found"
command -v "$PY" >/dev/null || die "python3 not found (used to pick ports and create the organisation)"
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

vm_mb() {  # vm_mb FIELD (VmRSS, VmHWM) of the server, in MB
    awk -v f="$1:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# --- our server --------------------------------------------------------------
ADMIN_PW="bench-$RANDOM-$RANDOM-Pw"
mkdir -p "$TMP/data"
HOST=127.0.0.1 PORT="$VC_PORT" DATA_DIR="$TMP/data" LOG_LEVEL=warn ADMIN_PASSWORD="$ADMIN_PW" \
    RATE_LIMIT_PER_MINUTE=1000000 LOGIN_ATTEMPTS=1000000 \
    "$BIN" >"$TMP/server.out" 2>"$TMP/server.err" </dev/null &
SERVER_PID=$!
BASE="http://127.0.0.1:$VC_PORT"
wait_http "$BASE/healthz" "$SERVER_PID" "videocontrol-server"

# An ENTERPRISE organisation (no device limit), an API key of it, and its devices (one keep-alive
# connection). Prints the API key.
echo "creating an organisation with $DEVICES devices ..."
KEY=$("$PY" "$(dirname "$0")/bench_org.py" "$VC_PORT" "$ADMIN_PW" "$DEVICES")
[[ -n "$KEY" ]] || die "could not create the organisation"
AUTH="Authorization: Bearer $KEY"
LIST_PATH="/api/v1/devices?limit=$PAGE"

curl -fsS --max-time 10 -H "$AUTH" -o "$TMP/devices.json" "$BASE$LIST_PATH"
chmod 644 "$TMP/devices.json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["items"]) == int(sys.argv[2]), len(d["items"])' \
    "$TMP/devices.json" "$PAGE" || die "the device list does not have $PAGE items"

# --- the 1 GiB file, uploaded through the API ----------------------------------
MEDIA_ID=""
if [[ "$MEDIA_BYTES" != "0" ]]; then
    echo "generating and uploading a $MEDIA_BYTES-byte file ..."
    { printf '\000\000\000\040ftypisom\000\000\002\000isomiso2avc1mp41'; head -c $((MEDIA_BYTES - 32)) /dev/zero; } \
        >"$TMP/big.mp4"
    chmod 644 "$TMP/big.mp4"
    # Count the peak RSS from here (the sign-in's argon2id hashing before it takes tens of MB).
    echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true
    up=$(curl -fsS --max-time 1800 -H "$AUTH" -F "files=@$TMP/big.mp4;filename=big.mp4;type=video/mp4" \
        -w '\n%{time_total}' "$BASE/api/v1/devices/bench-0000/media") || die "upload failed"
    UPLOAD_S=$(tail -n1 <<<"$up")
    MEDIA_ID=$(head -n1 <<<"$up" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
    UPLOAD_HWM=$(vm_mb VmHWM)
fi

# --- nginx -------------------------------------------------------------------
NG="$TMP/nginx"
mkdir -p "$NG"
chmod 755 "$NG"
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
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;

    server {
        listen 127.0.0.1:$NG_PORT;
        location = /api/v1/devices {
            default_type application/json;
            alias $TMP/devices.json;
        }
        location = /media/big.mp4 {
            default_type video/mp4;
            alias $TMP/big.mp4;
        }
    }
}
EOF
"$NGINX" -t -q -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" \
    || die "nginx rejected the generated config"
"$NGINX" -p "$NG/" -e "$NG/error.log" -c "$NG/nginx.conf" >"$NG/stdout.log" 2>&1 </dev/null &
NGINX_PID=$!
NG_BASE="http://127.0.0.1:$NG_PORT"
wait_http "$NG_BASE$LIST_PATH" "$NGINX_PID" "nginx"

curl -fsS --max-time 5 -o "$TMP/devices.nginx.json" "$NG_BASE$LIST_PATH"
cmp -s "$TMP/devices.json" "$TMP/devices.nginx.json" || die "nginx does not serve the same device list bytes"

# --- wrk ---------------------------------------------------------------------
# run_wrk and parse_wrk: bench/lib.sh

echo
echo "device list: $DEVICES devices, page of $PAGE ($(wc -c <"$TMP/devices.json") bytes of JSON)"
echo "wrk -t2 -c50 -d${DURATION}s --latency -H 'Authorization: Bearer <API key>' (warm-up ${WARMUP}s), $(nproc) CPU(s) shared by client and servers"
echo

run_wrk ours "$BASE$LIST_PATH" "$AUTH"
LIST_RSS=$(vm_mb VmRSS)
run_wrk nginx "$NG_BASE$LIST_PATH" "$AUTH"

CACHE_LINE=$(curl -fsS --max-time 5 "$BASE/metrics" 2>/dev/null \
    | awk '$1 == "videocontrol_cache_hits_total" { h = $2 } $1 == "videocontrol_cache_misses_total" { m = $2 }
           END { if (h + m > 0) printf "cache: %d hits, %d misses (%.2f%% hits)", h, m, 100 * h / (h + m) }' || true)

# --- downloads ---------------------------------------------------------------
# download NAME URL [RANGE] -> sets MBS_<NAME> (MB/s over DOWNLOADS sequential downloads)
download() {
    local name=$1 url=$2 range=${3:-} bytes=0 secs=0 out code size t expect=200
    local -a extra=(-H "$AUTH")
    if [[ -n "$range" ]]; then
        extra+=(-H "Range: bytes=$range")
        expect=206
    fi
    for _ in $(seq 1 "$DOWNLOADS"); do
        out=$(curl -sS --max-time 600 -o /dev/null "${extra[@]}" -w '%{http_code} %{size_download} %{time_total}' "$url")
        read -r code size t <<<"$out"
        [[ "$code" == "$expect" ]] || die "$name: HTTP $code from $url (expected $expect)"
        bytes=$((bytes + size))
        secs=$(awk -v a="$secs" -v b="$t" 'BEGIN { print a + b }')
    done
    printf -v "MBS_$name" '%s' "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
    printf -v "SIZE_$name" '%s' "$((bytes / DOWNLOADS))"
}

if [[ -n "$MEDIA_ID" ]]; then
    RANGE_FIRST=$(( (MEDIA_BYTES - RANGE_BYTES) / 2 ))
    RANGE_SPEC="$RANGE_FIRST-$((RANGE_FIRST + RANGE_BYTES - 1))"
    OUR_MEDIA="$BASE/api/v1/media/$MEDIA_ID/content"
    # The same bytes from both.
    a=$(curl -fsS -H "$AUTH" -H "Range: bytes=0-63" "$OUR_MEDIA" | od -An -tx1 | tr -d ' \n')
    b=$(curl -fsS -H "Range: bytes=0-63" "$NG_BASE/media/big.mp4" | od -An -tx1 | tr -d ' \n')
    [[ "$a" == "$b" ]] || die "nginx and the server serve different bytes"
    echo "=== downloads: $DOWNLOADS sequential curl downloads each, to /dev/null"
    download ours_full "$OUR_MEDIA"
    download nginx_full "$NG_BASE/media/big.mp4"
    download ours_range "$OUR_MEDIA" "$RANGE_SPEC"
    download nginx_range "$NG_BASE/media/big.mp4" "$RANGE_SPEC"
    DOWNLOAD_RSS=$(vm_mb VmRSS)
fi

ASAN_NOTE=""
if grep -qa -m1 '__asan_init' "$BIN" 2>/dev/null; then
    ASAN_NOTE=" (NOTE: this binary appears to be built with AddressSanitizer — figures are not representative)"
fi

echo
echo "=== summary"
echo "fairness: videocontrol-server runs 1 network thread and 4 workers by default, checks the API key"
echo "          (a database read per request) and serves the page from its in-process cache; nginx runs"
echo "          1 worker process (access_log off, sendfile on, the same bytes from files); LOG_LEVEL=warn"
echo "          for ours; wrk and curl share the same $(nproc) CPU(s).$ASAN_NOTE"
awk -v r1="$RPS_ours" -v r2="$RPS_nginx" -v p1="$P99_ours" -v p2="$P99_nginx" -v n="$DEVICES" -v pg="$PAGE" 'BEGIN {
    printf "GET /api/v1/devices?limit=%d (%d devices)\n", pg, n
    printf "  %-22s %14s %12s\n", "", "requests/s", "p99 (ms)"
    printf "  %-22s %14.2f %12.3f\n", "videocontrol-server", r1, p1
    printf "  %-22s %14.2f %12.3f\n", "nginx (static file)", r2, p2
    printf "  %-22s %14s %12s\n", "ratio ours/nginx",
        (r2 > 0 ? sprintf("%.3f", r1 / r2) : "n/a"),
        (p2 > 0 ? sprintf("%.3f", p1 / p2) : "n/a")
}'
[[ -n "$CACHE_LINE" ]] && echo "  $CACHE_LINE"
echo "  server RSS after the wrk run: ${LIST_RSS} MB"
if [[ -n "$MEDIA_ID" ]]; then
    awk -v of="$MBS_ours_full" -v nf="$MBS_nginx_full" -v ro="$MBS_ours_range" -v rn="$MBS_nginx_range" \
        -v fs="$SIZE_ours_full" -v rs="$SIZE_ours_range" -v spec="$RANGE_SPEC" 'BEGIN {
        printf "media download (MB/s, mean of sequential downloads)\n"
        printf "  %-34s %14s %10s %8s\n", "", "ours", "nginx", "ratio"
        printf "  %-34s %14.1f %10.1f %8.3f\n", sprintf("whole file (%d bytes)", fs), of, nf, (nf > 0 ? of / nf : 0)
        printf "  %-34s %14.1f %10.1f %8.3f\n", sprintf("Range bytes=%s", spec), ro, rn, (rn > 0 ? ro / rn : 0)
    }'
    awk -v s="$UPLOAD_S" -v b="$MEDIA_BYTES" 'BEGIN { printf "  upload of the file through the API (curl -F): %.1f s, %.1f MB/s\n", s, b / s / 1e6 }'
    echo "  server peak RSS (VmHWM) during the upload: ${UPLOAD_HWM} MB; RSS after the downloads: ${DOWNLOAD_RSS} MB"
fi
