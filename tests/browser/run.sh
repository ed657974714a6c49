#!/usr/bin/env bash
# End-to-end test of the browser page (examples/browser/) in headless Chromium.
#
#   bash tests/browser/run.sh [--epochs N] [--update-docs]
#
# Fetches/builds the page's assets (scripts/fetch_pyodide_assets.sh, needs the registries),
# then serves the page on 127.0.0.1 and drives Debian's chromium with playwright-core
# (tests/browser/e2e.mjs). As root with unshare and iproute2, the server and the browser run in
# a network namespace of their own with only loopback up, so the page can reach nothing else.
# Artifacts (screenshots, console log, server log): tests/browser/artifacts/.
# Set INSTALL_CHROMIUM=1 to apt-get install chromium when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "${INSTALL_CHROMIUM:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
    echo "== apt-get install chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium not found: apt-get install -y chromium (or INSTALL_CHROMIUM=1, or CHROMIUM=path)" >&2
    exit 2
  fi
fi
bash scripts/fetch_pyodide_assets.sh
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && unshare -n ip link set lo up 2>/dev/null; then
  echo "== browser test offline (unshare -n, loopback only)"
  exec unshare -n sh -c 'ip link set lo up && exec node tests/browser/e2e.mjs "$@"' sh "$@"
fi
echo "== browser test (no network namespace available: requests off 127.0.0.1 are refused by the test)"
exec node tests/browser/e2e.mjs "$@"
