#!/usr/bin/env bash
# Realtime load benchmark (issue 5): N players over WebSocket on one server, RSS per connection,
# control → player latency at 100 commands/s, and the time to reach every device once.
#
#   bench/realtime_load.sh [PLAYERS] [extra flags for realtime_load.mjs, e.g. --fanout-controls 4, --player-workers 0]
#
# Env: VC_SERVER_BINARY (default build/apps/server/videocontrol-server). Uses socket.io-client from
# tests/js (installed with npm ci when missing). Both the server and the load client run here, so on
# a small machine they share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
players=${1:-2000}
shift || true
binary=${VC_SERVER_BINARY:-build/apps/server/videocontrol-server}
[ -x "$binary" ] || { echo "no server binary at $binary: build first (./scripts/build.sh build)" >&2; exit 1; }
[ -d tests/js/node_modules ] || npm ci --prefix tests/js --no-audit --no-fund
# One descriptor per connection on each side, plus the database and the rest.
need=$((players + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "players=$players ulimit -n=$(ulimit -n) cores=$(nproc) node=$(node --version)"
exec node bench/realtime_load.mjs --binary "$binary" --players "$players" "$@"
