// End-to-end test of examples/browser/ in headless Chromium: serve the folder on 127.0.0.1 with
// `python3 -m http.server`, open the page, wait for the in-tab training to finish, check the
// reported test accuracy and the live plot's data, draw digits on the canvas with the mouse and
// check the predictions, and keep a screenshot in tests/browser/artifacts/.
//
//   node tests/browser/e2e.mjs [--epochs N] [--update-docs] [--headed]
//
// Needs scripts/fetch_pyodide_assets.sh to have filled examples/browser/vendor/, Debian's
// chromium (/usr/bin/chromium, or CHROMIUM=path) and playwright-core (npm ci). Any request the
// page makes to a host other than the local server is refused and fails the test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGE_DIR = path.join(ROOT, 'examples', 'browser');
const ARTIFACTS = path.join(ROOT, 'tests', 'browser', 'artifacts');
const argv = process.argv.slice(2);
const EPOCHS = argv.includes('--epochs') ? Number(argv[argv.indexOf('--epochs') + 1]) : 3;
const MIN_ACCURACY = 0.9;
const TRAIN_TIMEOUT_MS = 240_000;
const t0 = performance.now();
const log = (msg) => console.log(`[browser-e2e ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const failures = [];
const expect = (ok, what) => { log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };

if (!fs.existsSync(path.join(PAGE_DIR, 'vendor', 'manifest.json'))) {
  console.error('examples/browser/vendor/ is missing: run scripts/fetch_pyodide_assets.sh first');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(executablePath)) {
  console.error(`${executablePath} not found: apt-get install -y chromium (or set CHROMIUM)`);
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, { recursive: true });

// ---- the static server, on a free port of 127.0.0.1 ----
const server = spawn(process.env.PYTHON || 'python3',
  ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', PAGE_DIR],
  { stdio: ['ignore', 'pipe', 'pipe'] });
const serverLog = fs.createWriteStream(path.join(ARTIFACTS, 'http-server.log'));
server.stderr.pipe(serverLog);
const port = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.on('data', (chunk) => {
    text += chunk;
    const m = text.match(/port (\d+)/);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`http.server exited with ${code}`)));
  setTimeout(() => reject(new Error('http.server did not start')), 15_000);
});
const origin = `http://127.0.0.1:${port}`;
log(`serving ${path.relative(ROOT, PAGE_DIR)}/ at ${origin}`);

let browser;
let code = 1;
try {
  browser = await chromium.launch({
    executablePath,
    headless: !argv.includes('--headed'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions', '--disable-dev-shm-usage'],
  });
  log(`launched ${executablePath} (Chromium ${browser.version()})`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 680 }, deviceScaleFactor: 1 });
  const outside = [];
  // Refuse (and record) any request that is not to the local server, the worker's included.
  await context.route((url) => url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:',
    (route) => { outside.push(route.request().url()); return route.abort('blockedbyclient'); });
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !/^(data|blob):/.test(url) && !outside.includes(url)) outside.push(url);
  });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  page.on('worker', (w) => log(`worker started: ${w.url().replace(origin, '')}`));

  await page.goto(`${origin}/index.html?epochs=${EPOCHS}`);
  log(`opened ${origin}/index.html?epochs=${EPOCHS}`);
  await page.waitForFunction(() => ['training', 'done', 'error'].includes(document.body.dataset.state),
    null, { timeout: 120_000 });
  const versions = await page.evaluate(() => window.emberDemo.versions);
  log(`Pyodide ready: ${versions}`);
  // Mid-training the page must already show progress (the UI is not blocked by Python).
  await page.waitForFunction(() => window.emberDemo.history.loss.length >= 3 || document.body.dataset.state !== 'training',
    null, { timeout: 60_000 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'browser-demo-training.png') });
  const midProgress = await page.locator('#progress').getAttribute('aria-valuenow');
  log(`training under way: progress ${midProgress}%`);

  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state),
    null, { timeout: TRAIN_TIMEOUT_MS, polling: 500 });
  const result = await page.evaluate(() => ({
    state: window.emberDemo.state, accuracy: window.emberDemo.accuracy, seconds: window.emberDemo.seconds,
    losses: window.emberDemo.history.loss.length, epochs: window.emberDemo.history.epochs,
    status: document.getElementById('status').textContent,
    progress: document.getElementById('progress').getAttribute('aria-valuenow'),
  }));
  log(`page says: ${result.status}`);
  expect(result.state === 'done', `training finished (state ${result.state})`);
  expect(result.accuracy > MIN_ACCURACY, `test accuracy ${(100 * result.accuracy).toFixed(2)}% > ${100 * MIN_ACCURACY}%`);
  expect(result.epochs.length === EPOCHS && result.losses > 10,
    `plot data: ${result.epochs.length} epoch points, ${result.losses} loss points`);
  expect(result.progress === '100', `progress indicator at ${result.progress}%`);
  expect(/test accuracy \d+\.\d%/.test(result.status), 'accuracy shown on the page');
  log(`trained ${EPOCHS} epochs in ${result.seconds?.toFixed(1)}s in the tab`);

  // ---- draw digits with the mouse, as a user would ----
  const box = await page.locator('#pad').boundingBox();
  async function draw(strokes) {
    await page.click('#clear');
    await page.evaluate(() => { window.emberDemo.lastPrediction = null; });
    for (const points of strokes) {
      const at = ([u, v]) => [box.x + u * box.width, box.y + v * box.height];
      await page.mouse.move(...at(points[0]));
      await page.mouse.down();
      for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 3 });
      await page.mouse.up();
    }
    await page.waitForFunction(() => window.emberDemo.lastPrediction || document.body.dataset.state === 'error',
      null, { timeout: 20_000 });
    const state = await page.evaluate(() => ({ error: document.body.dataset.state === 'error',
      status: document.getElementById('status').textContent, prediction: window.emberDemo.lastPrediction }));
    if (state.error) throw new Error(`page error while predicting: ${state.status}`);
    return state.prediction;
  }
  const ellipse = Array.from({ length: 41 }, (_, i) => {
    const a = (2 * Math.PI * i) / 40;
    return [0.5 + 0.22 * Math.sin(a), 0.5 - 0.36 * Math.cos(a)];
  });
  // Digits drawn as strokes in the pad's unit square; these three are read with high
  // confidence by the trained model (the drawing is deterministic and so is the training).
  const drawings = {
    0: [ellipse],
    3: [[[0.3, 0.2], [0.6, 0.17], [0.7, 0.3], [0.5, 0.48], [0.7, 0.62], [0.65, 0.8], [0.3, 0.82]]],
    5: [[[0.7, 0.17], [0.35, 0.17], [0.32, 0.45], [0.6, 0.45], [0.7, 0.62], [0.6, 0.8], [0.3, 0.8]]],
  };
  for (const [digit, strokes] of Object.entries(drawings)) {
    const got = await draw(strokes);
    const pixels = got.pixels;
    expect(pixels.length === 64 && Math.max(...pixels) <= 16 && Math.min(...pixels) >= 0 && pixels.some((v) => v >= 8),
      `drawing became an 8x8 image on the 0..16 scale (max ${Math.max(...pixels)})`);
    expect(got.digit === Number(digit),
      `a drawn ${digit} is read as ${got.digit} (p=${got.probabilities[got.digit].toFixed(2)})`);
  }
  await page.waitForTimeout(200);

  const shot = path.join(ARTIFACTS, 'browser-demo.png');
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot: ${path.relative(ROOT, shot)}`);
  if (argv.includes('--update-docs')) {
    fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    fs.copyFileSync(shot, path.join(ROOT, 'docs', 'browser-screenshot.png'));
    log('copied to docs/browser-screenshot.png');
  }
  expect(outside.length === 0, `no request left 127.0.0.1 (${outside.length}${outside.length ? ': ' + outside.slice(0, 5).join(', ') : ''})`);
  const errors = consoleLines.filter((l) => /^\[(error|pageerror)\]/.test(l));
  expect(errors.length === 0, `no errors in the page's console (${errors.length})`);
  fs.writeFileSync(path.join(ARTIFACTS, 'console.log'), consoleLines.join('\n') + '\n');
  code = failures.length ? 1 : 0;
} catch (error) {
  console.error(error);
  failures.push(String(error.message || error));
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
}
log(failures.length ? `browser end-to-end test FAILED: ${failures.join('; ')}` : 'browser end-to-end test OK');
process.exit(code);
