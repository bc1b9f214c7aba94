#!/usr/bin/env bash
# Installs every Debian package that building, running and testing VideoControl needs.
# Idempotent: packages already present are left alone. Run as root or with sudo available.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries (see docs/architecture.md for what each is used for)
  libboost-dev libsoci-dev libsqlite3-dev libpq-dev libcpp-httplib-dev rapidjson-dev
  libfmt-dev doctest-dev libhiredis-dev libssl-dev libsodium-dev libarchive-dev
  # the object store (issue 15): expat reads S3's XML answers
  libexpat1-dev
  # file and other names in Unicode NFC (issue 16): GNU libunistring
  libunistring-dev
  # vcctl (issue 14): CLI11 parses its arguments; help2man writes its man page at build time; gettext's msgfmt its Russian catalogue
  libcli11-dev help2man gettext
  # the Python package (bindings/python): cffi over the C API, pytest, pip into a venv
  python3-cffi python3-pytest python3-venv python3-pip
  # schedules in IANA time zones (issue 13): Howard Hinnant's date/tz over the system's tzdata
  libhowardhinnant-date-dev tzdata
  # runtime and test tools: real Socket.IO clients (python3-socketio; socket.io-client from npm)
  sqlite3 curl ca-certificates procps python3 python3-socketio python3-websocket python3-requests
  wrk nginx-light postgresql redis-server
  # monitoring (issue 15): promtool checks deploy/prometheus and the server's /metrics in the tests
  prometheus
  # the TLS edge (issue 15): openssl makes the tests' self-signed certificates (deploy config, cluster suite)
  openssl
  # the web pages' tests: Debian's Chromium (driven by puppeteer-core from npm), fonts with Cyrillic
  chromium fonts-dejavu-core
  # the content pipeline's tools (issue 12): FFmpeg probes, thumbnails and renditions; poppler renders
  # PDF pages; LibreOffice converts presentations and documents; fonts with Cyrillic and metric
  # equivalents of the Office fonts, so slides keep their layout. FFmpeg also makes test fixtures.
  ffmpeg poppler-utils libreoffice-impress-nogui libreoffice-writer-nogui
  fonts-dejavu fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi

# The tests need only promtool: when this run installed the package prometheus, do not leave the
# Prometheus server (or the node exporter, should it have come along) enabled and listening. A
# Prometheus installed before is left as it is.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  for unit in prometheus prometheus-node-exporter; do
    if systemctl list-unit-files "$unit.service" 2>/dev/null | grep -q "^$unit.service"; then
      $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
  done
fi

# Node.js for the JavaScript client tests: use the machine's when present, else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
