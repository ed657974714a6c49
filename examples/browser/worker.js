// Web Worker: loads Pyodide, NumPy and ember from this folder's vendor/ (made by
// scripts/fetch_pyodide_assets.sh; nothing is fetched from any other host), runs demo.py, and
// trains / predicts on request. The page stays responsive because Python runs here.
import { loadPyodide } from './vendor/pyodide/pyodide.mjs';

const post = (message) => self.postMessage(message);
let pyodide = null;

async function boot() {
  const t0 = performance.now();
  post({ type: 'status', text: 'Loading Pyodide (CPython 3.12 on WebAssembly)…' });
  const manifest = await (await fetch('./vendor/manifest.json')).json();
  pyodide = await loadPyodide({ indexURL: new URL('./vendor/pyodide/', import.meta.url).href });
  pyodide.setStdout({ batched: (line) => post({ type: 'log', text: line }) });
  pyodide.setStderr({ batched: (line) => post({ type: 'log', text: line }) });
  post({ type: 'status', text: 'Loading NumPy and ember…' });
  const errors = [];
  // numpy by name: its file and sha256 come from pyodide-lock.json (checked by the browser);
  // ember from its wheel, served next to the page.
  await pyodide.loadPackage(['numpy', new URL(`./vendor/${manifest.ember_wheel}`, import.meta.url).href],
    { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length) throw new Error(errors.join('\n'));
  const source = await (await fetch('./demo.py')).text();
  pyodide.FS.writeFile('/home/pyodide/demo.py', source);
  const versions = pyodide.runPython(`
import sys
sys.path.insert(0, '/home/pyodide')
import numpy, ember, demo
f"Python {sys.version.split()[0]} · NumPy {numpy.__version__} · ember {ember.__version__}"
`);
  post({ type: 'ready', versions, seconds: (performance.now() - t0) / 1000 });
}

const ready = boot().catch((error) => post({ type: 'error', text: String(error && error.stack || error) }));

self.onmessage = async (event) => {
  await ready;
  const { type } = event.data;
  try {
    if (type === 'train') {
      const train = pyodide.runPython('demo.train');
      train(event.data.epochs, (text) => post(JSON.parse(text)));
      train.destroy();
    } else if (type === 'predict') {
      const predict = pyodide.runPython('demo.predict');
      const probabilities = JSON.parse(predict(event.data.pixels));
      predict.destroy();
      post({ type: 'prediction', probabilities });
    }
  } catch (error) {
    post({ type: 'error', text: String(error && error.message || error) });
  }
};
