#!/usr/bin/env bash
# The C library exports exactly the functions its header declares, each under VIDEOCONTROL_C_1, and
# has the soname libvideocontrol_c.so.1.
set -euo pipefail
lib=${1:?usage: exports.sh LIBRARY HEADER}
header=${2:?}
declared=$(grep -oE '^VC_C_API [^(]*\b(vc_[a-z_]+)\(' "$header" | grep -oE 'vc_[a-z_]+\($' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@@VIDEOCONTROL_C_1$//' | sort -u)
versioned=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | grep -vc '@@VIDEOCONTROL_C_1$' || true)
if [ "$declared" != "$exported" ]; then
  echo "declared and exported differ:"; diff <(echo "$declared") <(echo "$exported") || true; exit 1
fi
[ "$versioned" = 0 ] || { echo "$versioned exported functions lack the version node"; exit 1; }
# (Captured first: with pipefail, grep -q quitting early could fail objdump with SIGPIPE.)
headers=$(objdump -p "$lib")
grep -q 'SONAME *libvideocontrol_c.so.1$' <<<"$headers"
echo "exports: $(echo "$declared" | wc -l) functions, all VIDEOCONTROL_C_1"
