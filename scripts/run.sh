#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and starts the server on the embedded default
# (SQLite database and content under ./data, in-memory cache, port 3000).
# Any setting can be passed as a flag or environment variable; see --help.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh build
export DATA_DIR=${DATA_DIR:-$PWD/data}
exec ./build/apps/server/videocontrol-server "$@"
