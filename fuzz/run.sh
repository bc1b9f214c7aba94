#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/build.sh) and runs each for a bounded time over a scratch copy of
# its seed corpus (fuzz/corpus/<target>/ is never modified). Exits non-zero if any target fails.
# Usage: fuzz/run.sh [OUTPUT_DIR]      (default: build-fuzz/ at the repository root)
# Environment: FUZZ_SECONDS (per target, default 20), FUZZ_TARGETS (default "router_fuzz config_fuzz jwt_fuzz multipart_fuzz range_fuzz socketio_fuzz api_body_fuzz events_fuzz web_headers_fuzz player_status_fuzz ffprobe_fuzz archive_names_fuzz schedule_fuzz profiles_fuzz backup_manifest_fuzz webhook_url_fuzz s3_xml_fuzz"),
#              FUZZ_ARGS (extra libFuzzer flags), FUZZ_PARALLEL (targets fuzzed at once, default: the
#              core count), FUZZ_SKIP_BUILD=1 (the targets in OUTPUT_DIR are built already).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/build-fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
TARGETS=(${FUZZ_TARGETS:-router_fuzz config_fuzz jwt_fuzz multipart_fuzz range_fuzz socketio_fuzz api_body_fuzz events_fuzz web_headers_fuzz player_status_fuzz ffprobe_fuzz archive_names_fuzz schedule_fuzz profiles_fuzz backup_manifest_fuzz webhook_url_fuzz s3_xml_fuzz})

if [[ "${FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
  bash "$ROOT/fuzz/build.sh" "$OUT" || { echo "run.sh: build failed" >&2; exit 1; }
fi
OUT="$(cd "$OUT" && pwd)"
PARALLEL="${FUZZ_PARALLEL:-$(nproc)}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# One target: fuzzes it and writes its summary line to $OUT/<target>.result (exit status: 0 ok).
fuzz_one() {
  local t=$1 work="$OUT/corpus-work/$1"   # scratch corpus: seeds plus whatever the fuzzer adds
  rm -rf "$work"; mkdir -p "$work" "$OUT/artifacts"
  cp "$ROOT/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
  local dict=()
  [[ -f "$ROOT/fuzz/$t.dict" ]] && dict=(-dict="$ROOT/fuzz/$t.dict")
  local log="$OUT/$t.log"
  echo "== $t: ${SECONDS_PER_TARGET}s (log: $log)"
  # shellcheck disable=SC2086
  "$OUT/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=5 -print_final_stats=1 \
      -artifact_prefix="$OUT/artifacts/$t-" "${dict[@]}" ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
  local rc=$?
  local runs
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  if (( rc != 0 )); then
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error)' "$log" | head -n 5 >&2
    local artifact
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)"
    echo "$t: FAILED (exit $rc) after ${runs:-?} runs; input: ${artifact:-none}; reproduce: $OUT/$t ${artifact:-<input>}" >"$OUT/$t.result"
    return 1
  fi
  echo "$t: ok, ${runs:-?} runs in ${SECONDS_PER_TARGET}s, corpus $(ls "$work" | wc -l) files" >"$OUT/$t.result"
}

# $PARALLEL targets at a time (each libFuzzer process uses one core).
status=0
pids=()
for t in "${TARGETS[@]}"; do
  rm -f "$OUT/$t.result"
  fuzz_one "$t" &
  pids+=($!)
  if (( ${#pids[@]} >= PARALLEL )); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done

for t in "${TARGETS[@]}"; do
  if [[ -f "$OUT/$t.result" ]]; then cat "$OUT/$t.result"; else echo "$t: FAILED (no result)"; status=1; fi
done
exit $status
