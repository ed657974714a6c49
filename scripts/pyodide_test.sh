#!/usr/bin/env bash
# ember inside Pyodide, offline: fetch/check/build the assets (needs the registries), then run
# scripts/pyodide_test.mjs with the network cut off (`unshare -n`, as root). Where a network
# namespace cannot be made, it says so and runs anyway: the script itself refuses every http(s)
# request from the Node process, loudly.
#
#   bash scripts/pyodide_test.sh [--with-oracle-replay] [--no-train] [--json-report FILE]
#                                [-- PYTEST ARGS]
#
# --with-oracle-replay (a diagnostic, minutes longer; needs PyTorch here): first records
# ember's results in the PyTorch-oracle tests natively, then replays those tests inside
# Pyodide against the recording (scripts/oracle_replay.py).
# Exit status: pytest's inside Pyodide, else 1 if the short training run missed its accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch_pyodide_assets.sh
if [ "${1:-}" = "--with-oracle-replay" ]; then
  shift
  echo "== recording ember's results in the oracle tests natively (.pyodide/oracle-record.log)"
  PYTHONPATH=scripts${PYTHONPATH:+:$PYTHONPATH} "${PYTHON:-python3}" -m pytest -p no:cacheprovider \
    -p oracle_replay --oracle-record=.pyodide/oracle.json.gz tests > .pyodide/oracle-record.log 2>&1 \
    || echo "   (the native run had failures: see .pyodide/oracle-record.log)"
  tail -n 1 .pyodide/oracle-record.log
  set -- --oracle-replay .pyodide/oracle.json.gz "$@"
fi
if unshare -n true 2>/dev/null; then
  echo "== ember in Pyodide 0.27.7, offline (unshare -n)"
  exec unshare -n node scripts/pyodide_test.mjs "$@"
fi
echo "== ember in Pyodide 0.27.7 (unshare -n is not available here: relying on the script's own"
echo "   refusal of every http(s) request)"
exec node scripts/pyodide_test.mjs "$@"
