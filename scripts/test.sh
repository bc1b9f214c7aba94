#!/usr/bin/env bash
# The whole test suite: installs what is needed, builds, runs ctest; then the same tests in an
# AddressSanitizer + UndefinedBehaviorSanitizer build (all but the browser tests and the packaging
# and config checks, labelled browser and nosanitize: those exercise Chromium, promtool and the
# compiler more than our code, and ran in the first pass); then a short fuzzing pass over every parser.
# The sanitizer build runs in the background (lowest priority) while the first ctest runs, the fuzz
# build while the second one does. Each stage prints how long the run has taken so far.
# Set VC_SKIP_SANITIZE=1 or VC_SKIP_FUZZ=1 to skip a stage locally (CI runs all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

jobs=$(nproc)
t0=$(date +%s)
stage() { echo "== $* (at $(( $(date +%s) - t0 )) s)"; }

# A build that overlaps tests runs in the background at the lowest CPU priority (the tests keep the
# CPU they need; the build takes what they leave idle), with its output in a log file.
bg_pids=()
background() {  # background LOG COMMAND...; prints nothing, appends the pid to bg_pids
  local log=$1
  shift
  setsid nice -n 19 "$@" >"$log" 2>&1 &
  bg_pids+=($!)
}
finish_background() {  # finish_background PID LOG WHAT: waits; on failure shows the log's end
  if ! wait "$1"; then
    tail -n 80 "$2"
    echo "== $3 failed (log: $2)" >&2
    exit 1
  fi
}
cleanup() { for p in "${bg_pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# socket.io-client, puppeteer-core and axe-core for the JavaScript and browser tests, exactly as
# locked in tests/js/package-lock.json (again whenever the lock file changes).
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  stage "npm ci (tests/js)"
  # The registry is across the network: a reset connection is retried (npm's own retries, then the
  # whole install up to three times) rather than failing the run.
  for attempt in 1 2 3; do
    npm ci --prefix tests/js --no-audit --no-fund --fetch-retries=5 --fetch-retry-mintimeout=2000 && break
    [ "$attempt" = 3 ] && exit 1
    echo "npm ci failed (attempt $attempt); trying again in 10 s" >&2
    sleep 10
  done
fi
stage "build (RelWithDebInfo)"
./scripts/build.sh build

sanitize=1; [ "${VC_SKIP_SANITIZE:-0}" = 1 ] && sanitize=0
fuzz=1; { [ "${VC_SKIP_FUZZ:-0}" = 1 ] || [ ! -x fuzz/run.sh ]; } && fuzz=0

if [ $sanitize = 1 ]; then
  stage "build (ASan + UBSan) in the background: build-asan.log"
  BUILD_TYPE=Debug background build-asan.log ./scripts/build.sh build-asan -DVC_SANITIZE=ON
  asan_build=${bg_pids[-1]}
fi
stage "ctest (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

if [ $sanitize = 1 ]; then
  stage "waiting for the ASan + UBSan build"
  finish_background "$asan_build" build-asan.log "build (ASan + UBSan)"
fi
if [ $fuzz = 1 ]; then
  stage "build (fuzz targets) in the background: build-fuzz.log"
  background build-fuzz.log bash fuzz/build.sh build-fuzz
  fuzz_build=${bg_pids[-1]}
fi
if [ $sanitize = 1 ]; then
  stage "ctest (ASan + UBSan)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE 'browser|nosanitize'
fi

if [ $fuzz = 1 ]; then
  stage "waiting for the fuzz build"
  finish_background "$fuzz_build" build-fuzz.log "build (fuzz targets)"
  stage "fuzz (short pass)"
  FUZZ_SKIP_BUILD=1 FUZZ_SECONDS=${FUZZ_SECONDS:-10} ./fuzz/run.sh build-fuzz
fi
stage "all test stages passed"
