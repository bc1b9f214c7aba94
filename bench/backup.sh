#!/usr/bin/env bash
# Backup and restore vs tar (issue 15): time and throughput of `vcctl backup` / `vcctl restore` on an
# installation whose content folder holds SIZE of generated media, against `tar -cf` / `tar -xf` of
# the same content folder, and the ratio. Also an incremental backup after one more file.
#
# Usage: bench/backup.sh [SIZE_MB (default 1024)] [BUILD_DIR (default build)]
# Files are random bytes behind an MP4 signature (incompressible, like media), 1–64 MiB each. Runs with a warm page cache
# (it does not drop caches); each step is followed by sync, which is timed with it.
set -euo pipefail
size_mb=${1:-1024}
build=${2:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
vcctl=$(cd "$root" && realpath "$build/apps/cli/vcctl")
work=$(mktemp -d "${TMPDIR:-/tmp}/vc-backup-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data
export LANG=C.UTF-8 ADMIN_PASSWORD=Bench-Password-1

now() { date +%s.%N; }
timed() {  # timed VAR command…: runs it, then sync; VAR = seconds
  local var=$1; shift
  local t0 t1
  t0=$(now); "$@" >/dev/null; sync; t1=$(now)
  printf -v "$var" '%.2f' "$(echo "$t1 - $t0" | bc -l)"
}

echo "generating ${size_mb} MiB of media in $work …" >&2
"$vcctl" --data-dir "$data" migrate >/dev/null
"$vcctl" --data-dir "$data" -q devices add bench >/dev/null 2>&1
mkdir -p "$work/gen"
left=$size_mb i=0
while [ "$left" -gt 0 ]; do
  n=$(( (RANDOM % 64) + 1 )); [ "$n" -gt "$left" ] && n=$left
  # an MP4 signature, then random bytes: stored as a video (nothing decodes it here)
  { printf '\000\000\000\030ftypisom'; head -c "$(((n << 20) - 12))" /dev/urandom; } > "$work/gen/file-$i.mp4"
  left=$((left - n)); i=$((i + 1))
done
"$vcctl" --data-dir "$data" -q media upload bench "$work/gen" >/dev/null
rm -rf "$work/gen"
files=$i
bytes=$(du -sb "$data/content" | cut -f1)
mb=$(echo "$bytes / 1048576" | bc -l)
sync

timed t_backup "$vcctl" --data-dir "$data" -q backup --to "$work/full.vcbak"
timed t_tar_c tar -cf "$work/content.tar" -C "$data" content
timed t_restore "$vcctl" --data-dir "$work/restored" -q restore "$work/full.vcbak"
mkdir -p "$work/untar"
timed t_tar_x tar -xf "$work/content.tar" -C "$work/untar"
timed t_check "$vcctl" -q restore --check "$work/full.vcbak"
{ printf '\000\000\000\030ftypisom'; head -c $(((4 << 20) - 12)) /dev/urandom; } > "$work/one-more.mp4"
"$vcctl" --data-dir "$data" -q media upload bench "$work/one-more.mp4" >/dev/null
timed t_inc "$vcctl" --data-dir "$data" -q backup --to "$work/inc.vcbak" --incremental-from "$work/full.vcbak"
arch=$(stat -c %s "$work/full.vcbak"); tarb=$(stat -c %s "$work/content.tar"); incb=$(stat -c %s "$work/inc.vcbak")

rate() { echo "scale=1; $mb / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '\ncontent: %d files, %.0f MiB; archive %.0f MiB (tar %.0f MiB); incremental after one 4 MiB file: %.1f MiB\n\n' \
  "$files" "$mb" "$(echo "$arch/1048576" | bc -l)" "$(echo "$tarb/1048576" | bc -l)" "$(echo "$incb/1048576" | bc -l)"
printf '| step | vcctl s | vcctl MiB/s | tar s | tar MiB/s | vcctl / tar time |\n| --- | --- | --- | --- | --- | --- |\n'
printf '| backup (tar -cf) | %s | %s | %s | %s | %s |\n' "$t_backup" "$(rate "$t_backup")" "$t_tar_c" "$(rate "$t_tar_c")" "$(ratio "$t_backup" "$t_tar_c")"
printf '| restore (tar -xf) | %s | %s | %s | %s | %s |\n' "$t_restore" "$(rate "$t_restore")" "$t_tar_x" "$(rate "$t_tar_x")" "$(ratio "$t_restore" "$t_tar_x")"
printf '| restore --check (verify only) | %s | %s | | | |\n' "$t_check" "$(rate "$t_check")"
printf '| incremental backup (+4 MiB) | %s | | | | |\n' "$t_inc"
