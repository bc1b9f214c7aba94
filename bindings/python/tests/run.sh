#!/usr/bin/env bash
# pip-installs bindings/python into a fresh venv (system site packages for Debian's cffi and pytest;
# no network) and runs its pytest suite against the built C library.
# Usage: run.sh LIBRARY WORK_DIR
set -euo pipefail
lib=${1:?usage: run.sh path/to/libvideocontrol_c.so WORK_DIR}
work=${2:?}
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
# A copy of the sources, so the build leaves nothing in the repository.
cp -r "$here" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
"$work/venv/bin/pip" install --quiet --no-index --no-deps --no-build-isolation "$work/src"
cd "$work"  # not next to the sources: the installed package is what is imported
VIDEOCONTROL_C_LIBRARY="$lib" "$work/venv/bin/python" -c 'import videocontrol, sys; assert "site-packages" in videocontrol.__file__, videocontrol.__file__'
VIDEOCONTROL_C_LIBRARY="$lib" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tests"
# examples/python against the installed package, with an image FFmpeg makes.
ffmpeg -loglevel error -y -f lavfi -i color=blue:size=64x64 -frames:v 1 "$work/blue.png"
out=$(VIDEOCONTROL_C_LIBRARY="$lib" "$work/venv/bin/python" "$here/../../examples/python/devices.py" "$work/example-data" "$work/blue.png")
echo "$out"
grep -qx "uploaded blue.png image" <<<"$out"
grep -qx "now playing blue.png" <<<"$out"
grep -qx "event device.created py-lobby" <<<"$out"
grep -qx "event playback.changed py-lobby" <<<"$out"
