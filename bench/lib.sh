# Shell helpers shared by the benchmarks in bench/ (sourced, not run): free ports, waiting for a
# server, stopping a process, a minimal nginx configuration, and running and parsing wrk.
# The sourcing script sets `set -euo pipefail` and WRK (default wrk).

die() { echo "error: $*" >&2; exit 1; }

# The python3 with Debian's modules (DESIGN.md: another python3 may come first on PATH).
BENCH_PY=/usr/bin/python3
[[ -x $BENCH_PY ]] || BENCH_PY=python3

# free_ports N: N distinct free loopback ports on one line (all held open while choosing).
free_ports() {
    "$BENCH_PY" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()' "$1"
}

wait_http() {  # wait_http URL PID NAME
    local url=$1 pid=$2 name=$3
    for _ in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
        curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$name not ready after 20 s ($url)"
}

stop_pid() {  # stop_pid PID: TERM, up to 5 s, then KILL
    local pid=$1
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# write_nginx_conf DIR PORT LOCATIONS: an nginx.conf in DIR (1 worker, access_log off, sendfile on,
# keep-alive without a request limit) listening on 127.0.0.1:PORT with the given location blocks.
write_nginx_conf() {
    local ng=$1 port=$2 locations=$3
    mkdir -p "$ng"
    chmod 755 "$ng"
    cat >"$ng/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $ng/client_body;
    proxy_temp_path $ng/proxy;
    fastcgi_temp_path $ng/fastcgi;
    uwsgi_temp_path $ng/uwsgi;
    scgi_temp_path $ng/scgi;
    keepalive_requests 1000000;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;

    server {
        listen 127.0.0.1:$port;
$locations
    }
}
EOF
}

# start_nginx NGINX DIR: starts nginx on DIR/nginx.conf in the background; sets NGINX_PID.
start_nginx() {
    local bin=$1 ng=$2
    "$bin" -t -q -p "$ng/" -e "$ng/error.log" -c "$ng/nginx.conf" || die "nginx rejected the generated config"
    "$bin" -p "$ng/" -e "$ng/error.log" -c "$ng/nginx.conf" >"$ng/stdout.log" 2>&1 </dev/null &
    NGINX_PID=$!
}

# Prints "<requests/s> <p99 in ms> <non-2xx count> <socket errors>" for wrk output on stdin.
parse_wrk() {
    awk '
        function to_ms(v,   n) {
            n = v + 0
            if (v ~ /us$/) return n / 1000
            if (v ~ /ms$/) return n
            if (v ~ /m$/)  return n * 60000
            if (v ~ /s$/)  return n * 1000
            return n
        }
        /^Requests\/sec:/            { rps = $2 }
        $1 == "99%"                  { p99 = to_ms($2) }
        /Non-2xx or 3xx responses:/  { non2xx = $NF }
        /Socket errors:/             { sub(/^[ \t]*Socket errors:[ \t]*/, ""); sockerr = $0 }
        END {
            if (rps == "" || p99 == "") exit 1
            if (non2xx == "") non2xx = 0
            if (sockerr == "") sockerr = "none"
            printf "%s %.3f %s %s\n", rps, p99, non2xx, sockerr
        }'
}

# run_wrk NAME URL [HEADER]: wrk -t2 -c50 --latency for DURATION s after WARMUP s (0 = none), with
# HEADER when given; prints wrk's output and sets RPS_<NAME> and P99_<NAME> (ms). Non-2xx answers
# or socket errors are reported on stderr (a benchmark of error pages would be meaningless).
run_wrk() {
    local name=$1 url=$2 header=${3:-} out parsed rps p99 non2xx sockerr
    local -a extra=()
    [[ -n "$header" ]] && extra=(-H "$header")
    if [[ "${WARMUP:-1}" != "0" ]]; then
        "${WRK:-wrk}" -t2 -c50 -d"${WARMUP:-1}s" "${extra[@]}" "$url" >/dev/null
    fi
    out=$("${WRK:-wrk}" -t2 -c50 -d"${DURATION:-10}s" --latency "${extra[@]}" "$url")
    echo "=== $name ($url)"
    echo "$out"
    echo
    parsed=$(printf '%s\n' "$out" | parse_wrk) || die "could not parse wrk output for $name"
    read -r rps p99 non2xx sockerr <<<"$parsed"
    printf -v "RPS_$name" '%s' "$rps"
    printf -v "P99_$name" '%s' "$p99"
    if [[ "$non2xx" != "0" || "$sockerr" != "none" ]]; then
        echo "WARNING: $name: non-2xx responses: $non2xx, socket errors: $sockerr" >&2
    fi
}

# asan_note BIN: a warning when BIN was built with AddressSanitizer (figures not representative).
asan_note() {
    if grep -qa -m1 '__asan_init' "$1" 2>/dev/null; then
        echo " (NOTE: this binary appears to be built with AddressSanitizer — figures are not representative)"
    fi
}
