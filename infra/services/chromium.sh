#!/usr/bin/env bash
# Debian's Chromium, for the browser tests (Playwright drives it; it never downloads a browser).
#   chromium.sh install   install Debian's 'chromium' package if missing (idempotent)
#   chromium.sh env       install if need be, then print KENTRA_TEST_CHROMIUM=<path>
set -euo pipefail
BIN=${KENTRA_TEST_CHROMIUM:-/usr/bin/chromium}

install() {
  if [ -x "$BIN" ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "chromium.sh: Chromium is not installed; install Debian's 'chromium' package or give KENTRA_TEST_CHROMIUM" >&2
    exit 1
  fi
  echo "chromium.sh: installing Chromium from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
}

case "${1:-}" in
  install) install ;;
  env) install; echo "export KENTRA_TEST_CHROMIUM=$BIN" ;;
  *) echo "usage: $0 install|env" >&2; exit 2 ;;
esac
