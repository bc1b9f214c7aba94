#!/usr/bin/env bash
# vcctl against a real SQLite file: version, migrate (fresh, re-run), status, bad settings.
set -euo pipefail
VCCTL=${1:?usage: test_cli.sh path/to/vcctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND... ; expects success
  if "${@:2}" >"$tmp/out" 2>&1; then echo "ok   $1"; else echo "FAIL $1"; cat "$tmp/out"; fails=$((fails+1)); fi
}
expect_fail() { # expect_fail DESCRIPTION PATTERN COMMAND...
  if "${@:3}" >"$tmp/out" 2>&1; then echo "FAIL $1 (succeeded)"; fails=$((fails+1));
  elif grep -q -- "$2" "$tmp/out"; then echo "ok   $1"; else echo "FAIL $1: no '$2' in:"; cat "$tmp/out"; fails=$((fails+1)); fi
}
contains() { grep -q -- "$1" "$tmp/out"; }

check "version prints the version" "$VCCTL" version && contains "vcctl 0." || { echo "FAIL version text"; fails=$((fails+1)); }
export DATABASE_URL="sqlite://$tmp/db/vc.db"
check "migrate creates a fresh database" "$VCCTL" migrate
contains "applied 0001_initial" || { echo "FAIL migrate output"; cat "$tmp/out"; fails=$((fails+1)); }
check "migrate again is a no-op" "$VCCTL" migrate
if contains "applied"; then echo "FAIL re-run applied something"; fails=$((fails+1)); fi
check "status shows the schema version" "$VCCTL" status
contains "backend sqlite" || { echo "FAIL status output"; fails=$((fails+1)); }
check "--database-url flag overrides the environment" "$VCCTL" migrate --database-url="sqlite://$tmp/other.db"
[ -f "$tmp/other.db" ] || { echo "FAIL flag database not created"; fails=$((fails+1)); }
expect_fail "a bad DATABASE_URL names the setting" "DATABASE_URL" env DATABASE_URL=mysql://x "$VCCTL" migrate
expect_fail "an unknown command is refused" "unknown command" "$VCCTL" frobnicate
sqlite3 "$tmp/db/vc.db" "INSERT INTO schema_migrations(version,name,applied_at) VALUES (9999,'future',0)"
expect_fail "a newer database is refused" "9999" "$VCCTL" migrate
echo "cli checks: $fails failed"
[ "$fails" -eq 0 ]
