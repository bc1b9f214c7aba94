#!/usr/bin/env bash
# The shared library exports only the public API: every dynamic symbol it defines belongs to
# namespace vc (functions, typeinfo and vtables of VC_API types), the entry points are there, and
# private pieces (JWT, the storage implementation, Redis connection, the playback machine) are not.
# Usage: test_library_exports.sh path/to/libvideocontrol.so
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{ $1=""; $2=""; sub(/^  /, ""); print }' | c++filt)
count=$(wc -l <<<"$syms")
echo "$count exported symbols"
# Linker-made markers, not code.
syms=$(grep -vxE '_init|_fini|_edata|_end|__bss_start' <<<"$syms" || true)
prefix='^((typeinfo name for|typeinfo for|vtable for|VTT for|guard variable for|non-virtual thunk to|virtual thunk to|construction vtable for [^ ]+-in-) )?'
outside=$(grep -vE "${prefix}vc::" <<<"$syms" || true)
if [ -n "$outside" ]; then
  echo "exported symbols outside the vc API:"
  head -40 <<<"$outside"
  echo "($(wc -l <<<"$outside") in all)"
  exit 1
fi
for want in 'vc::Installation::open(' 'vc::version()' 'vc::Services::create(' 'vc::RealtimeHub::on_packet(' \
            'vc::Devices::create(' 'vc::Auth::login(' 'vc::sio::decode(' 'vc::Installation::services()'; do
  grep -qF "$want" <<<"$syms" || { echo "missing from the exports: $want"; exit 1; }
done
for private in 'vc::jwt::' 'SociStorage' 'vc::playback_machine::' 'vc::redis::Connection' 'vc::storage::ConnectionPool' \
               'vc::ServiceContext'; do
  if grep -F "$private" <<<"$syms" | head -3 | grep .; then echo "a private symbol is exported: $private"; exit 1; fi
done
echo "exports: only the vc API"
