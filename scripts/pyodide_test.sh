#!/usr/bin/env bash
# ember inside Pyodide, offline: fetch/check/build the assets (needs the registries), then run
# scripts/pyodide_test.mjs with the network cut off (`unshare -n`, as root). Where a network
# namespace cannot be made, it says so and runs anyway: the script itself refuses every http(s)
# request from the Node process, loudly.
#
#   bash scripts/pyodide_test.sh [--no-train] [--json-report FILE] [-- PYTEST ARGS]
#
# Exit status: pytest's inside Pyodide, else 1 if the short training run missed its accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch_pyodide_assets.sh
if unshare -n true 2>/dev/null; then
  echo "== ember in Pyodide 0.27.7, offline (unshare -n)"
  exec unshare -n node scripts/pyodide_test.mjs "$@"
fi
echo "== ember in Pyodide 0.27.7 (unshare -n is not available here: relying on the script's own"
echo "   refusal of every http(s) request)"
exec node scripts/pyodide_test.mjs "$@"
