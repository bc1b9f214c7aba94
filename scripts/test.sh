#!/usr/bin/env bash
# The whole test suite: installs what is needed, builds, runs ctest; then the same tests in an
# AddressSanitizer + UndefinedBehaviorSanitizer build; then a short fuzzing pass over every parser.
# Set VC_SKIP_SANITIZE=1 or VC_SKIP_FUZZ=1 to skip a stage locally (CI runs all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

jobs=$(nproc)
# socket.io-client, puppeteer-core and axe-core for the JavaScript and browser tests, exactly as
# locked in tests/js/package-lock.json (again whenever the lock file changes).
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  echo "== npm ci (tests/js)"
  npm ci --prefix tests/js --no-audit --no-fund
fi
echo "== build (RelWithDebInfo)"
./scripts/build.sh build
echo "== ctest (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

if [ "${VC_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  BUILD_TYPE=Debug ./scripts/build.sh build-asan -DVC_SANITIZE=ON
  echo "== ctest (ASan + UBSan)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900
fi

if [ "${VC_SKIP_FUZZ:-0}" != 1 ] && [ -x fuzz/run.sh ]; then
  echo "== fuzz (short pass)"
  FUZZ_SECONDS=${FUZZ_SECONDS:-15} ./fuzz/run.sh build-fuzz
fi
echo "== all test stages passed"
