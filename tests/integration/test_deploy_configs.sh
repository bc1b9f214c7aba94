#!/usr/bin/env bash
# The shipped deployment files pass their own tools: `nginx -t` for the load balancer and each
# upstream variant (with a throwaway self-signed certificate for the TLS server block and the
# operator-network include), `systemd-analyze verify` for the unit (where systemd is available).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NGINX=${NGINX:-/usr/sbin/nginx}
fails=0
# The TLS server block needs a certificate and key that exist: a throwaway self-signed one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
check_nginx() {  # check_nginx NAME [variant-file]
  local dir="$tmp/$1"
  mkdir -p "$dir/logs"
  cp "$ROOT/deploy/nginx/videocontrol-lb.conf" "$dir/site.conf"
  cp "$ROOT/deploy/nginx/operator-network.conf" "$dir/operator-network.conf"
  # Installed paths → the copies and the test certificate.
  sed -i -e "s|/etc/nginx/snippets/videocontrol-operator-network.conf|$dir/operator-network.conf|" \
    -e "s|^\( *ssl_certificate \+\)/[^;]*;|\1$tmp/cert.pem;|" \
    -e "s|^\( *ssl_certificate_key \+\)/[^;]*;|\1$tmp/key.pem;|" "$dir/site.conf"
  grep -q "$tmp/cert.pem" "$dir/site.conf" && grep -q "$tmp/key.pem" "$dir/site.conf" \
    && grep -q "$dir/operator-network.conf" "$dir/site.conf" || { echo "FAIL $1: paths not substituted"; fails=$((fails + 1)); return; }
  if [ -n "${2:-}" ]; then
    # Swap the API upstream for the variant's.
    python3 - "$dir/site.conf" "$2" <<'PY'
import re, sys
site, variant = sys.argv[1], open(sys.argv[2]).read()
s = open(site).read()
block = re.search(r"upstream videocontrol_backend \{.*?\n\}", s, re.S).group(0)
new = re.search(r"upstream videocontrol_backend \{.*?\n\}", variant, re.S).group(0)
open(site, "w").write(s.replace(block, new))
PY
  fi
  # Ports 80/443 need root; the syntax check does not bind, but keep it unprivileged-friendly.
  cat > "$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $dir/tmp_body;
  proxy_temp_path $dir/tmp_proxy;
  include $dir/site.conf;
}
CONF
  if "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" 2>"$dir/err"; then echo "ok   nginx -t $1"
  else echo "FAIL nginx -t $1"; cat "$dir/err"; fails=$((fails + 1)); fi
}
check_nginx round-robin
check_nginx least-conn "$ROOT/deploy/nginx/upstream-least-conn.conf"
check_nginx ip-hash "$ROOT/deploy/nginx/upstream-ip-hash.conf"
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$tmp/units"
  sed 's|/usr/local/bin/videocontrol-server|/bin/true|' "$ROOT/deploy/systemd/videocontrol@.service" > "$tmp/units/videocontrol@.service"
  if out=$(systemd-analyze verify "$tmp/units/videocontrol@.service" 2>&1 | grep -v -e "EnvironmentFile" -e "User=" -e "videocontrol.env" -e "^$" || true); [ -z "$out" ]; then
    echo "ok   systemd-analyze verify videocontrol@.service"
  else echo "FAIL systemd-analyze"; echo "$out"; fails=$((fails + 1)); fi
else
  echo "skip systemd-analyze (not installed)"
fi
echo "deploy config checks: $fails failed"
[ "$fails" -eq 0 ]
