#!/usr/bin/env bash
# Every message vcctl marks for translation (tr, trf, N_) is in apps/cli/po/ru.po, translated and not
# fuzzy, and the catalogue compiles with msgfmt --check (format strings included).
set -euo pipefail
root=${1:?usage: test_vcctl_catalogue.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext --language=C++ --from-code=UTF-8 --keyword=tr --keyword=trf --keyword=N_ --no-location \
  -o "$tmp/vcctl.pot" "$root"/apps/cli/*.cpp
msgcmp "$root/apps/cli/po/ru.po" "$tmp/vcctl.pot"   # fails naming any message the catalogue lacks
stats=$(msgfmt --check --statistics -o "$tmp/vcctl.mo" "$root/apps/cli/po/ru.po" 2>&1)
echo "$stats"
if grep -qE 'fuzzy|untranslated' <<<"$stats"; then echo "the catalogue has fuzzy or untranslated messages"; exit 1; fi
