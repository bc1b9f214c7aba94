#!/usr/bin/env bash
# A throwaway Redis server for tests, on 127.0.0.1 only, without persistence, its pid file, log
# and working directory in a temporary folder. Prints the redis:// URL once it answers PING.
# Usage: redis_test_server.sh start DIR PORT | stop DIR
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?folder for the server files}
server=$(command -v redis-server || true)
cli=$(command -v redis-cli || true)
[ -n "$server" ] || { echo "redis_test_server: redis-server not found (apt-get install redis-server)" >&2; exit 1; }

stop_server() {
  [ -f "$dir/redis.pid" ] || return 0
  local pid
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true  # a test may have frozen it with SIGSTOP
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
  start)
    port=${3:?port}
    stop_server  # a leftover from an interrupted run in the same folder
    rm -rf "$dir"
    mkdir -p "$dir"
    "$server" --bind 127.0.0.1 --port "$port" --protected-mode yes --daemonize yes \
      --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/server.log" \
      --save '' --appendonly no >/dev/null
    for _ in $(seq 1 100); do
      if [ -n "$cli" ]; then
        [ "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = PONG ] && break
      else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      fi
      sleep 0.1
    done
    if [ -n "$cli" ] && [ "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" != PONG ]; then
      echo "redis_test_server: redis-server did not come up on port $port" >&2
      cat "$dir/server.log" >&2 2>/dev/null || true
      exit 1
    fi
    echo "redis://127.0.0.1:$port"
    ;;
  stop)
    stop_server
    rm -rf "$dir"
    ;;
  *) echo "usage: redis_test_server.sh start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
