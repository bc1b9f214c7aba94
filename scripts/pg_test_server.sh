#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, on 127.0.0.1 only, with its data in a temporary folder.
# Usage: pg_test_server.sh start DIR PORT | stop DIR
# PostgreSQL refuses to run as root, so as root it runs as the 'postgres' user.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?data folder}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$bin/initdb" ] || { echo "pg_test_server: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

case "$cmd" in
  start)
    port=${3:?port}
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c max_connections=300" start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ] && ! "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -t 15 stop >/dev/null 2>&1; then
      # Not down within 15 s: end the postmaster outright (its backends exit when it is gone).
      pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    fi
    # The tests leave a database each behind (gigabytes after a full run): removing them took up to
    # 130 s at the end of CI runs, so the folder is moved aside and removed in the background.
    if [ -d "$dir" ]; then
      trash="$dir.removing.$$"
      mv "$dir" "$trash" && { setsid rm -rf "$trash" </dev/null >/dev/null 2>&1 & }
    fi
    ;;
  *) echo "usage: pg_test_server.sh start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
