// The page: starts the Pyodide worker, draws the live training plot and the progress bar, and
// turns a drawing into the data set's 8x8, 0..16 format for the model.
//
// Query parameters: ?epochs=N (default 3), ?autostart=0 (wait for the button).
// For tests, window.emberDemo exposes {state, accuracy, history, predict(pixels)}, and
// <body data-state> is loading | ready | training | done | error.

const params = new URLSearchParams(location.search);
const EPOCHS = Math.max(1, Math.min(20, parseInt(params.get('epochs') || '3', 10) || 3));
const $ = (id) => document.getElementById(id);

const demo = {
  state: 'loading', accuracy: null, versions: null, seconds: null, steps: 0,
  history: { loss: [], epochs: [] }, // loss: [step, loss]; epochs: [step, loss, accuracy]
  predict: null,
  settings: { penWidth: 24, inkThreshold: 128 }, // pen width on the 224px pad; 'on' in 32x32
};
window.emberDemo = demo;

function setState(state, text) {
  demo.state = state;
  document.body.dataset.state = state;
  $('status').dataset.state = state;
  if (text !== undefined) $('status').textContent = text;
}

function setProgress(fraction) {
  const pct = Math.round(100 * Math.max(0, Math.min(1, fraction)));
  $('progress').firstElementChild.style.width = `${pct}%`;
  $('progress').setAttribute('aria-valuenow', String(pct));
}

// ---------------------------------------------------------------- the live plot
function drawPlot() {
  const canvas = $('plot');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const css = getComputedStyle(document.documentElement);
  const lossColor = css.getPropertyValue('--loss').trim();
  const accColor = css.getPropertyValue('--acc').trim();
  const pad = { l: 48, r: 52, t: 14, b: 34 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const steps = Math.max(demo.steps, 1);
  const { loss, epochs } = demo.history;
  const maxLoss = Math.max(2.5, ...loss.map((p) => p[1]));
  const x = (step) => pad.l + (pw * step) / steps;
  const yLoss = (v) => pad.t + ph * (1 - v / maxLoss);
  const yAcc = (v) => pad.t + ph * (1 - v);

  g.font = '11px system-ui, sans-serif';
  g.strokeStyle = '#e3e6ea';
  g.fillStyle = '#5b6473';
  g.lineWidth = 1;
  for (let i = 0; i <= 5; i++) { // grid, left (loss) and right (accuracy) axes
    const y = pad.t + (ph * i) / 5;
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(pad.l + pw, y); g.stroke();
    g.textAlign = 'right'; g.fillText((maxLoss * (1 - i / 5)).toFixed(1), pad.l - 6, y + 4);
    g.textAlign = 'left'; g.fillText(`${100 - 20 * i}%`, pad.l + pw + 6, y + 4);
  }
  const perEpoch = steps / EPOCHS;
  g.textAlign = 'center';
  for (let e = 0; e <= EPOCHS; e++) {
    const xe = x(e * perEpoch);
    g.beginPath(); g.moveTo(xe, pad.t); g.lineTo(xe, pad.t + ph); g.stroke();
    g.fillText(String(e), xe, pad.t + ph + 14);
  }
  g.fillText('epoch', pad.l + pw / 2, h - 4);
  g.save(); g.translate(12, pad.t + ph / 2); g.rotate(-Math.PI / 2);
  g.fillStyle = lossColor; g.fillText('training loss', 0, 0); g.restore();
  g.save(); g.translate(w - 8, pad.t + ph / 2); g.rotate(Math.PI / 2);
  g.fillStyle = accColor; g.fillText('test accuracy', 0, 0); g.restore();

  if (loss.length) {
    g.strokeStyle = lossColor; g.lineWidth = 1.8; g.beginPath();
    loss.forEach(([s, v], i) => (i ? g.lineTo(x(s), yLoss(v)) : g.moveTo(x(s), yLoss(v))));
    g.stroke();
  }
  if (epochs.length) {
    g.strokeStyle = accColor; g.fillStyle = accColor; g.lineWidth = 2; g.beginPath();
    epochs.forEach(([s, , a], i) => (i ? g.lineTo(x(s), yAcc(a)) : g.moveTo(x(s), yAcc(a))));
    g.stroke();
    g.textAlign = 'center';
    for (const [s, , a] of epochs) {
      g.beginPath(); g.arc(x(s), yAcc(a), 3.5, 0, 2 * Math.PI); g.fill();
      g.fillText(`${(100 * a).toFixed(1)}%`, Math.min(x(s), pad.l + pw - 16), yAcc(a) - 8);
    }
  }
}

// ---------------------------------------------------------------- the worker
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let pendingPrediction = null;

function train() {
  demo.history = { loss: [], epochs: [] };
  demo.accuracy = null;
  $('retrain').disabled = true;
  $('pad').classList.add('disabled');
  setState('training', `Training for ${EPOCHS} epochs in this tab…`);
  setProgress(0);
  worker.postMessage({ type: 'train', epochs: EPOCHS });
}

worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case 'status': $('status').textContent = m.text; break;
    case 'log': console.log(`[python] ${m.text}`); break;
    case 'ready':
      demo.versions = m.versions;
      $('versions').textContent = `${m.versions} · Pyodide loaded in ${m.seconds.toFixed(1)}s`;
      setState('ready', 'Ready.');
      if (params.get('autostart') !== '0') train(); else $('retrain').disabled = false;
      break;
    case 'start':
      demo.steps = m.steps;
      $('model').textContent = `${m.model}\n${m.parameters.toLocaleString()} parameters · ${m.train} training / ${m.test} test images`;
      drawPlot();
      break;
    case 'progress':
      demo.history.loss.push([m.step, m.loss]);
      $('epoch').textContent = `${m.epoch}/${EPOCHS}`;
      $('step').textContent = `${m.step}/${m.steps}`;
      $('loss').textContent = m.loss.toFixed(3);
      $('time').textContent = `${m.seconds.toFixed(1)}s`;
      setProgress(m.step / m.steps);
      $('status').textContent = `Training: epoch ${m.epoch} of ${EPOCHS}, ${Math.round((100 * m.step) / m.steps)}%`;
      drawPlot();
      break;
    case 'epoch':
      demo.history.epochs.push([m.step, m.loss, m.accuracy]);
      $('accuracy').textContent = `${(100 * m.accuracy).toFixed(1)}%`;
      drawPlot();
      break;
    case 'done':
      demo.accuracy = m.accuracy;
      demo.seconds = m.seconds;
      setProgress(1);
      setState('done', `Trained in ${m.seconds.toFixed(1)}s: test accuracy ${(100 * m.accuracy).toFixed(1)}%. Draw a digit →`);
      $('retrain').disabled = false;
      $('pad').classList.remove('disabled');
      break;
    case 'prediction':
      if (pendingPrediction) { pendingPrediction(m.probabilities); pendingPrediction = null; }
      break;
    case 'error':
      setState('error', `Error: ${m.text}`);
      break;
    default: break;
  }
};
worker.onerror = (e) => setState('error', `Worker error: ${e.message}`);

demo.predict = (pixels) => new Promise((resolve) => {
  pendingPrediction = resolve;
  worker.postMessage({ type: 'predict', pixels: Array.from(pixels) });
});

// ---------------------------------------------------------------- drawing -> 8x8, 0..16
const pad = $('pad');
const pen = pad.getContext('2d', { willReadFrequently: true });
let drawing = false;
let last = null;

function point(e) {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
}

pad.addEventListener('pointerdown', (e) => {
  if (demo.state !== 'done') return;
  drawing = true;
  last = point(e);
  pad.setPointerCapture(e.pointerId);
  stroke(last, last);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = point(e);
  stroke(last, p);
  last = p;
});
const finish = () => { if (drawing) { drawing = false; classify(); } };
pad.addEventListener('pointerup', finish);
pad.addEventListener('pointerleave', finish);

function stroke(a, b) {
  pen.strokeStyle = '#111';
  pen.lineWidth = demo.settings.penWidth;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.beginPath(); pen.moveTo(a[0], a[1]); pen.lineTo(b[0], b[1]); pen.stroke();
}

// Like the UCI data set: crop to the ink, scale into a 32x32 bitmap keeping the aspect ratio,
// then count the inked pixels in each 4x4 block (0..16).
function toDigitsInput(canvas) {
  const { width, height } = canvas;
  const alpha = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha[4 * (y * width + x) + 3] > 64) {
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = 32 / Math.max(bw, bh);
  const dw = Math.max(1, Math.round(bw * scale)), dh = Math.max(1, Math.round(bh * scale));
  const small = document.createElement('canvas');
  small.width = 32; small.height = 32;
  const s = small.getContext('2d', { willReadFrequently: true });
  s.imageSmoothingEnabled = true;
  s.imageSmoothingQuality = 'high';
  s.drawImage(canvas, x0, y0, bw, bh, Math.floor((32 - dw) / 2), Math.floor((32 - dh) / 2), dw, dh);
  const bits = s.getImageData(0, 0, 32, 32).data;
  const out = new Array(64).fill(0);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      if (bits[4 * (y * 32 + x) + 3] >= demo.settings.inkThreshold) out[(y >> 2) * 8 + (x >> 2)] += 1;
    }
  }
  return out;
}

function drawPreview(pixels) {
  const g = $('preview').getContext('2d');
  const img = g.createImageData(8, 8);
  pixels.forEach((v, i) => {
    const c = 255 - Math.round((255 * v) / 16);
    img.data.set([c, c, c, 255], 4 * i);
  });
  g.putImageData(img, 0, 0);
}

function drawProbabilities(probabilities) {
  const canvas = $('probs');
  const g = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  const best = probabilities.indexOf(Math.max(...probabilities));
  const bw = w / 10;
  g.font = '12px system-ui, sans-serif';
  g.textAlign = 'center';
  probabilities.forEach((p, d) => {
    const bh = (h - 34) * p;
    g.fillStyle = d === best ? '#3b5bdb' : '#adb5bd';
    g.fillRect(d * bw + 6, h - 18 - bh, bw - 12, bh);
    g.fillStyle = '#1d2330';
    g.fillText(String(d), d * bw + bw / 2, h - 4);
    if (p >= 0.01) g.fillText(`${Math.round(100 * p)}%`, d * bw + bw / 2, h - 22 - bh);
  });
}

async function classify() {
  const pixels = toDigitsInput(pad);
  if (!pixels) return;
  drawPreview(pixels);
  const probabilities = await demo.predict(pixels);
  const best = probabilities.indexOf(Math.max(...probabilities));
  $('guess').textContent = String(best);
  $('guess').dataset.digit = String(best);
  demo.lastPrediction = { digit: best, probabilities, pixels };
  drawProbabilities(probabilities);
}
demo.toDigitsInput = () => toDigitsInput(pad);

$('clear').addEventListener('click', () => {
  pen.clearRect(0, 0, pad.width, pad.height);
  $('preview').getContext('2d').clearRect(0, 0, 8, 8);
  $('probs').getContext('2d').clearRect(0, 0, $('probs').width, $('probs').height);
  $('guess').textContent = '–';
  delete $('guess').dataset.digit;
});
$('retrain').addEventListener('click', train);
window.addEventListener('resize', drawPlot);
drawPlot();
setState('loading', 'Starting the Python worker…');
