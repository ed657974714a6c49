// Run ember inside Pyodide 0.27.7 (CPython 3.12 on WebAssembly, NumPy 2.0.2) under Node.js,
// offline: every package comes from local files that scripts/fetch_pyodide_assets.sh fetched
// and checked, and every http(s) request the process tries fails loudly.
//
//   node scripts/pyodide_test.mjs [--json-report FILE] [--oracle-replay RECORDING] [--no-tests]
//                                 [--no-train] [--no-known-failures] [-- PYTEST ARGS]
//   (PYTEST ARGS are relative to the mount's parent, e.g. `-- tests/test_layout.py -x`)
//
// Steps: load Pyodide from node_modules/pyodide; load numpy, micropip and packaging from
// .pyodide/packages (sha256 checked against pyodide-lock.json) and assert numpy imported;
// install pytest/hypothesis wheels and ember's wheel with micropip from Pyodide's in-memory
// file system; mount tests/ and run the self-contained part of the suite with
// `pytest --capture=sys` (the PyTorch-oracle tests skip, as there is no torch; the tests in
// scripts/pyodide_known_failures.txt run as non-strict xfail, with their causes); train the
// digits job for 2 epochs and check its test accuracy.
// Exit status: pytest's, else 1 if training or the network guard failed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.pyodide');
const PACKAGES = path.join(CACHE, 'packages');
const PYODIDE_DIR = path.join(ROOT, 'node_modules', 'pyodide');
const MIN_ACCURACY = 0.9;
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[pyodide-test ${elapsed()}] ${msg}`);

// ---- options ----
const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const ownArgs = dashdash < 0 ? argv : argv.slice(0, dashdash);
const pytestExtra = dashdash < 0 ? null : argv.slice(dashdash + 1);
const opt = (name) => ownArgs.includes(name);
const value = (name) => (ownArgs.includes(name) ? ownArgs[ownArgs.indexOf(name) + 1] : null);
const jsonReport = value('--json-report');
const oracleRecording = value('--oracle-replay');

// ---- 1. no network: every http(s) request fails loudly ----
const blocked = [];
function refuse(what) {
  const msg = `NETWORK ACCESS REFUSED (offline Pyodide test): ${what}`;
  blocked.push(what);
  console.error(`\n!!! ${msg}\n`);
  throw new Error(msg);
}
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : (input?.url ?? String(input));
  if (/^(https?|wss?):/i.test(url) || !realFetch) refuse(`fetch ${url}`);
  return realFetch(input, init);
};
for (const mod of [http, https]) {
  mod.request = (...a) => refuse(`${mod === http ? 'http' : 'https'}.request ${String(a[0]?.href ?? a[0]?.host ?? a[0])}`);
  mod.get = (...a) => refuse(`${mod === http ? 'http' : 'https'}.get ${String(a[0]?.href ?? a[0]?.host ?? a[0])}`);
}

// ---- 2. the three wasm-build wheels must match Pyodide's lock file ----
const lock = JSON.parse(fs.readFileSync(path.join(PYODIDE_DIR, 'pyodide-lock.json'), 'utf8'));
if (lock.info.version !== '0.27.7') throw new Error(`expected Pyodide 0.27.7, found ${lock.info.version}`);
for (const name of ['numpy', 'micropip', 'packaging']) {
  const entry = lock.packages[name];
  const file = path.join(PACKAGES, entry.file_name);
  if (!fs.existsSync(file)) {
    console.error(`missing ${file}: run scripts/fetch_pyodide_assets.sh first`);
    process.exit(2);
  }
  const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  if (digest !== entry.sha256) {
    console.error(`REFUSED ${entry.file_name}: sha256 ${digest} != pyodide-lock.json ${entry.sha256}`);
    process.exit(2);
  }
}
log(`numpy/micropip/packaging wheels match pyodide-lock.json (Pyodide ${lock.info.version})`);

// ---- 3. start Pyodide ----
const { loadPyodide } = await import(path.join(PYODIDE_DIR, 'pyodide.mjs'));
const write = (stream) => ({ write: (buf) => { stream.write(buf); return buf.length; } });
const pyodide = await loadPyodide({
  indexURL: PYODIDE_DIR + path.sep,
  packageCacheDir: PACKAGES,
  env: { HOME: '/home/pyodide', PYTHONDONTWRITEBYTECODE: '1', PYTHONHASHSEED: '0' },
});
pyodide.setStdout(write(process.stdout));
pyodide.setStderr(write(process.stderr));
const loadErrors = [];
await pyodide.loadPackage(['numpy', 'micropip', 'packaging'], {
  messageCallback: (m) => log(m),
  errorCallback: (m) => { loadErrors.push(m); console.error(m); },
});
// A failed package load is only logged by Pyodide: check that numpy really is there.
pyodide.runPython(`
import sys, numpy, micropip, packaging
assert numpy.__version__ == '2.0.2', numpy.__version__
assert sys.platform == 'emscripten' and sys.version_info[:2] == (3, 12), (sys.platform, sys.version)
print(f"python {sys.version.split()[0]} on {sys.platform}; numpy {numpy.__version__} from "
      f"{numpy.__file__}; default int {numpy.array([1]).dtype}, intp {numpy.dtype(numpy.intp)}")
`);
if (loadErrors.length) throw new Error(`package load errors: ${loadErrors.join('; ')}`);
log('numpy imported');

// ---- 4. install the test tools and ember from wheels in the in-memory file system ----
const toInstall = [];
for (const dir of [path.join(CACHE, 'wheels'), path.join(CACHE, 'ember')]) {
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.whl')).sort()) {
    pyodide.FS.mkdirTree('/tmp/wheels');
    pyodide.FS.writeFile(`/tmp/wheels/${f}`, fs.readFileSync(path.join(dir, f)));
    toInstall.push(f);
  }
}
const emberWheel = toInstall.find((f) => f.startsWith('ember-'));
if (!emberWheel) throw new Error('no ember wheel in .pyodide/ember: run scripts/fetch_pyodide_assets.sh');
pyodide.globals.set('tools', pyodide.toPy(toInstall.filter((f) => f !== emberWheel)));
pyodide.globals.set('ember_wheel', emberWheel);
await pyodide.runPythonAsync(`
import micropip
# Test tools: exact pins (scripts/pyodide-requirements.txt), no resolution needed.
await micropip.install([f'emfs:/tmp/wheels/{w}' for w in tools], deps=False)
# ember with its dependencies resolved: numpy>=2.0 and requires-python must accept what
# Pyodide has (any lookup beyond that would hit the network guard and fail).
await micropip.install(f'emfs:/tmp/wheels/{ember_wheel}', deps=True)
from importlib.metadata import version
import ember  # not pytest/hypothesis: pytest must import those itself (assertion rewriting)
print(f"ember from {ember.__file__}; pytest {version('pytest')}; hypothesis {version('hypothesis')}")
`);
log(`installed ${toInstall.join(', ')}`);

// ---- 5. the self-contained test suite ----
let pytestCode = 0;
if (!opt('--no-tests')) {
  // Mount only tests/ (its conftest puts the mount's parent on sys.path, which holds no ember
  // package, so the tests import the installed wheel). The mount's parent is in memory and is
  // the cwd: nothing is written into the working tree (no bytecode, no cache provider,
  // hypothesis' database in /home/pyodide/ember/.hypothesis).
  pyodide.FS.mkdirTree('/home/pyodide/ember/tests');
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.join(ROOT, 'tests') },
    '/home/pyodide/ember/tests');
  pyodide.globals.set('pytest_extra', pytestExtra ? pyodide.toPy(pytestExtra) : null);
  // Known failures (scripts/pyodide_known_failures.txt) run as non-strict xfail.
  const knownFile = path.join(ROOT, 'scripts', 'pyodide_known_failures.txt');
  pyodide.globals.set('known_text', opt('--no-known-failures') || !fs.existsSync(knownFile) ? '' : fs.readFileSync(knownFile, 'utf8'));
  // --oracle-replay FILE: also run the PyTorch-oracle tests against a native recording of
  // ember's results (scripts/oracle_replay.py).
  pyodide.globals.set('replay', null);
  if (oracleRecording) {
    pyodide.FS.mkdirTree('/home/pyodide/plugins');
    pyodide.FS.writeFile('/home/pyodide/plugins/oracle_replay.py', fs.readFileSync(path.join(ROOT, 'scripts', 'oracle_replay.py')));
    const name = oracleRecording.endsWith('.gz') ? 'oracle.json.gz' : 'oracle.json';
    pyodide.FS.writeFile(`/home/pyodide/plugins/${name}`, fs.readFileSync(oracleRecording));
    pyodide.globals.set('replay', `/home/pyodide/plugins/${name}`);
  }
  pytestCode = pyodide.runPython(`
import json, os, sys
import pytest
sys.dont_write_bytecode = True
os.chdir('/home/pyodide/ember')
import collections
outcomes = {}
reasons = collections.Counter()
known = {}
for line in known_text.splitlines():
    if line.strip() and not line.lstrip().startswith('#'):
        test_id, _, reason = line.partition('|')
        known[test_id.strip()] = reason.strip()

class Record:
    def pytest_collection_modifyitems(self, items):
        for item in items:
            reason = known.get(item.nodeid) or known.get(item.nodeid.split('[')[0])
            if reason:
                item.add_marker(pytest.mark.xfail(reason=f'known in Pyodide: {reason}', strict=False))

    def pytest_runtest_logreport(self, report):
        if report.when == 'call' or report.outcome != 'passed':
            outcome = report.outcome
            if hasattr(report, 'wasxfail'):
                outcome = 'xpassed' if report.outcome == 'passed' else 'xfailed'
                reasons[outcome + ': ' + report.wasxfail] += 1
            elif report.outcome == 'skipped' and isinstance(report.longrepr, tuple):
                reasons['skipped: ' + report.longrepr[2].removeprefix('Skipped: ')] += 1
            outcomes.setdefault(report.nodeid, outcome)

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.section('why tests did not run or were expected to fail here')
        for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            terminalreporter.write_line(f'{count:6d}  {reason}')

args = ['-q', '--capture=sys', '-p', 'no:cacheprovider', '-rfEX', '--rootdir=/home/pyodide/ember']
if replay:
    sys.path.insert(0, '/home/pyodide/plugins')
    args += ['-p', 'oracle_replay', f'--oracle-replay={replay}']
args += list(pytest_extra) if pytest_extra is not None else ['tests']
print('pytest', ' '.join(args), flush=True)
code = int(pytest.main(args, plugins=[Record()]))
with open('/tmp/outcomes.json', 'w') as f:
    json.dump(outcomes, f, indent=0, sort_keys=True)
code
`);
  if (jsonReport) {
    fs.writeFileSync(jsonReport, pyodide.FS.readFile('/tmp/outcomes.json', { encoding: 'utf8' }));
  }
  log(`pytest exited with ${pytestCode}`);
}

// ---- 6. a short version of the main job ----
let trainOk = true;
if (!opt('--no-train')) {
  log('training the digits CNN for 2 epochs inside Pyodide');
  const accuracy = pyodide.runPython(`
from ember.examples import train
history = train.main(['--epochs', '2', '--out', '/tmp/runs/digits'])
float(history['accuracy'][-1])
`);
  trainOk = accuracy > MIN_ACCURACY;
  log(`digits CNN test accuracy ${(accuracy * 100).toFixed(2)}% (needs > ${MIN_ACCURACY * 100}%): ${trainOk ? 'ok' : 'FAILED'}`);
}

if (blocked.length) console.error(`network access was attempted ${blocked.length} time(s): ${blocked.join(', ')}`);
const code = pytestCode !== 0 ? pytestCode : (!trainOk || blocked.length ? 1 : 0);
log(`done in ${elapsed()} (exit ${code})`);
process.exit(code);
