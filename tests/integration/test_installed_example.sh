#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds examples/embed (and blob_store, c, player)
# against it with find_package(videocontrol), runs them, and checks pkg-config sees the package too.
set -euo pipefail
BUILD=${1:?usage: test_installed_example.sh BUILD_DIR EXAMPLE_DIR}
EXAMPLE=${2:?}
SERVER=${3:-}  # videocontrol-server: runs the player example against it
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$BUILD" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/videocontrol/videocontrol.hpp"
test -f "$tmp/prefix/lib/cmake/videocontrol/videocontrolConfig.cmake"
# vcctl with its man page and shell completions (issue 14).
grep -q "^vcctl " <<<"$("$tmp/prefix/bin/vcctl" version)"
grep -q "EXIT STATUS" "$tmp/prefix/share/man/man1/vcctl.1"
man -l "$tmp/prefix/share/man/man1/vcctl.1" 2>/dev/null | grep -q "vcctl login" || grep -q "vcctl login" "$tmp/prefix/share/man/man1/vcctl.1"
grep -q "complete -o default -F _vcctl vcctl" "$tmp/prefix/share/bash-completion/completions/vcctl"
grep -q "^#compdef vcctl" "$tmp/prefix/share/zsh/vendor-completions/_vcctl"
# … and its Russian catalogue, found from the installed binary's place.
help_ru=$(LANGUAGE=ru "$tmp/prefix/bin/vcctl" --help)
grep -q "Использование:" <<<"$help_ru"
cmake -S "$EXAMPLE" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_FLAGS="${VC_EXAMPLE_CXX_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${VC_EXAMPLE_LINK_FLAGS:-}" >/dev/null
cmake --build "$tmp/build" >/dev/null
out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/build/embed" "$tmp/example-data")
echo "$out"
grep -q "first run: yes" <<<"$out"
# The device the example created came back as a domain event, before the example printed its line.
grep -qE "^event device.created lobby-[0-9]+$" <<<"$out"
# … and the realtime hub turned it into the control panel's devices/updated.
grep -qF 'socket.io 2["devices/updated"]' <<<"$out"
test -f "$tmp/example-data/videocontrol.db"
out2=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/build/embed" "$tmp/example-data")
echo "$out2"
grep -q "first run: no" <<<"$out2"
# examples/blob_store: a custom BlobStore (InstallationOptions::blob_store), built the same way. Run
# twice on one folder: (a) uploads through the default disk store, (b) reopens over the read-only
# store, which still serves the file and refuses a new upload with its own message.
cmake -S "$EXAMPLE/../blob_store" -B "$tmp/build-blob" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_FLAGS="${VC_EXAMPLE_CXX_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${VC_EXAMPLE_LINK_FLAGS:-}" >/dev/null
cmake --build "$tmp/build-blob" >/dev/null
for run in 1 2; do
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/build-blob/blob_store" "$tmp/blob-data")
  echo "$out"
  grep -q "^default store: uploaded hello.png (69 bytes" <<<"$out"
  grep -qx "read-only store: 1 blob" <<<"$out"
  grep -qx "listed: lobby/hello.png" <<<"$out"
  grep -qx "read back: 69 bytes, same as uploaded" <<<"$out"
  grep -q "^upload refused: this store is read-only" <<<"$out"
done
grep -q "stored already" <<<"$out"  # the second run's upload found the same bytes
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --modversion videocontrol
# The C API example (examples/c) built as C against the installed header and library (pkg-config).
if [ -f "$tmp/prefix/include/videocontrol.h" ]; then
  src=$(cd "$EXAMPLE/../c" && pwd)
  # shellcheck disable=SC2046
  cc -std=c11 -D_DEFAULT_SOURCE -Wall -Werror -o "$tmp/c-example" "$src/main.c" \
    $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs videocontrol-c) ${VC_EXAMPLE_CXX_FLAGS:-} ${VC_EXAMPLE_LINK_FLAGS:-}
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/c-example" "$tmp/c-data")
  echo "$out"
  grep -q "first run: yes" <<<"$out"
  grep -q '^created {"device_id":"c-lobby"' <<<"$out"
  grep -qx "event device.created c-lobby" <<<"$out"
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/c-example" "$tmp/c-data")
  grep -q "not created (conflict)" <<<"$out"
fi
# The C++ player example (examples/player: Boost.Beast + the public Socket.IO codec) against the same
# prefix; with a server binary, tests/integration/test_player_example.py drives it against the server.
player_src=$(cd "$EXAMPLE/../player" && pwd)
cmake -S "$player_src" -B "$tmp/player-build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_FLAGS="${VC_EXAMPLE_CXX_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${VC_EXAMPLE_LINK_FLAGS:-}" >/dev/null
cmake --build "$tmp/player-build" >/dev/null
if [ -n "$SERVER" ]; then
  VC_PLAYER_EXAMPLE="$tmp/player-build/player" LD_LIBRARY_PATH="$tmp/prefix/lib" \
    /usr/bin/python3 "$player_src/../../tests/integration/test_player_example.py" --binary "$SERVER"
fi
# Public headers compile alone and include no third-party header (Boost, SOCI, RapidJSON, hiredis).
for h in "$tmp"/prefix/include/videocontrol/*.hpp "$tmp"/prefix/include/videocontrol/protocol/*.hpp; do
  echo "#include <${h#"$tmp"/prefix/include/}>" | c++ -std=c++20 -fsyntax-only -x c++ -I"$tmp/prefix/include" -
done
if grep -nE '#include <(boost|soci|rapidjson|hiredis|fmt|sodium|openssl)' "$tmp"/prefix/include/videocontrol/*.hpp \
     "$tmp"/prefix/include/videocontrol/protocol/*.hpp; then
  echo "a public header includes a third-party header"; exit 1
fi
echo "installed package: ok"
