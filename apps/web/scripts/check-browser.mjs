// Serves the Vite build on 127.0.0.1, opens it in headless Chromium (driven by playwright-core, never a
// downloaded browser) and checks the page: the same input gradients as the Vite SSR build on Node, then
// the app itself (bundled model and sample, three methods; an uploaded .onnx and image; Cancel), with
// screenshots under test-artifacts/. The browser is Debian's /usr/bin/chromium (`apt-get install -y chromium`), or CHROMIUM_PATH.
/* global document, window -- used inside page.evaluate callbacks, which run in the browser */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  if (process.env.CI) {
    console.error(
      `browser check: no Chromium at ${executablePath}; CI must install it (apt-get install -y chromium)`,
    );
    process.exit(1);
  }
  console.warn(`browser check skipped: no Chromium at ${executablePath} (apt-get install -y chromium)`);
  process.exit(0);
}

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};
const dist = join(root, 'dist');
const server = createServer((request, response) => {
  const path = normalize(join(dist, new URL(request.url, 'http://x').pathname.replace(/\/$/, '/index.html')));
  if (!path.startsWith(dist) || !existsSync(path)) {
    response.writeHead(404).end();
    return;
  }
  response
    .writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' })
    .end(readFileSync(path));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
const repo = join(root, '..', '..');
const METHODS = ['saliency', 'integratedGradients', 'lrp:epsilonPlusFlat'];

function check(condition, message) {
  if (!condition) throw new Error(`browser check: ${message}`);
}

/** Clicks Explain and waits for the page to finish; returns its report. */
async function explain(page, expected = 'done') {
  await page.click('#run');
  await page.waitForFunction(() => !['running', 'ready'].includes(document.body.dataset.status), null, {
    timeout: 120_000,
  });
  const status = await page.evaluate(() => document.body.dataset.status);
  check(
    status === expected,
    `page reports '${status}', expected '${expected}': ${await page.textContent('#status')}`,
  );
  return JSON.parse(await page.evaluate(() => document.body.dataset.result));
}

/** What a person sees: captions, three ranked classes, one heat map and colour bar per method, and the maps' pixels. */
async function checkResults(page, label) {
  const view = await page.evaluate(() => {
    const pixels = (canvas) => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    return {
      captions: [...document.querySelectorAll('#results figcaption')].map((c) => c.textContent),
      panels: [...document.querySelectorAll('#results figure')].map((f) => f.dataset.testid),
      top: [...document.querySelectorAll('#results .top li')].map((li) => li.textContent),
      heatmaps: [...document.querySelectorAll('#results canvas.heatmap')].map((canvas) => {
        const data = pixels(canvas);
        let red = 0;
        let blue = 0;
        let opaque = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, b, a] = [data[i], data[i + 2], data[i + 3]];
          if (a === 255) opaque += 1;
          if (r > b + 40) red += 1;
          else if (b > r + 40) blue += 1;
        }
        return { width: canvas.width, pixels: data.length / 4, opaque, red, blue };
      }),
      colorBars: [...document.querySelectorAll('#results canvas.colorbar')].map((canvas) => {
        const data = pixels(canvas);
        const at = (x) => [...data.slice(x * 4, x * 4 + 3)];
        return { left: at(0), middle: at(Math.floor(canvas.width / 2)), right: at(canvas.width - 1) };
      }),
      legends: [...document.querySelectorAll('#results .colorbar-labels')].map((l) => l.textContent),
    };
  });
  check(view.panels.join() === ['input', ...METHODS].join(), `${label}: panels ${view.panels}`);
  check(
    view.captions[1] === 'Saliency |∂f/∂x|' && view.captions[3].startsWith('LRP'),
    `${label}: captions ${view.captions}`,
  );
  check(
    view.top.length === 3 && view.top.every((t) => /^class \d+: \d+\.\d %$/.test(t)),
    `${label}: top classes ${view.top}`,
  );
  check(view.heatmaps.length === 3, `${label}: ${view.heatmaps.length} heat maps`);
  for (const [i, map] of view.heatmaps.entries()) {
    // 16×16 maps scaled to 192 px, fully opaque, and not one flat colour: at least 5 % of pixels clearly red
    // (evidence for the class), but not all of them.
    check(
      map.width === 192 && map.opaque === map.pixels,
      `${label}: ${METHODS[i]} canvas ${JSON.stringify(map)}`,
    );
    check(
      map.red > 0.05 * map.pixels && map.red < map.pixels,
      `${label}: ${METHODS[i]} heat map looks empty ${JSON.stringify(map)}`,
    );
    // Integrated gradients on the sample has negative evidence (Node build: 12 of 256 pixels blue); saliency,
    // an absolute value, never draws blue.
    if (METHODS[i] === 'integratedGradients')
      check(map.blue > 0, `${label}: integrated gradients shows no negative evidence ${JSON.stringify(map)}`);
    if (METHODS[i] === 'saliency')
      check(map.blue === 0, `${label}: saliency (an absolute value) drew blue ${JSON.stringify(map)}`);
  }
  check(view.colorBars.length === 3, `${label}: ${view.colorBars.length} colour bars`);
  for (const bar of view.colorBars) {
    // bwr: blue at the left, white in the middle, red at the right.
    check(
      bar.left[2] > 200 &&
        bar.left[0] < 60 &&
        bar.right[0] > 200 &&
        bar.right[2] < 60 &&
        Math.min(...bar.middle) > 230,
      `${label}: colour bar ${JSON.stringify(bar)}`,
    );
  }
  check(
    view.legends.every((l) => l === '− against0for +'),
    `${label}: colour bar labels ${view.legends}`,
  );
  return view;
}

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.status !== 'loading', null, { timeout: 60_000 });
  const status = await page.evaluate(() => document.body.dataset.status);
  if (status !== 'ready')
    throw new Error(`page reports '${status}': ${await page.textContent('#status')} ${errors.join('; ')}`);

  // 1. The Vite bundle in Chromium computes the same input gradients as the Vite SSR build on Node.
  const result = await page.evaluate(() => window.attribSelfCheck());
  const node = JSON.parse(
    execFileSync(process.execPath, [join(root, 'dist-ssr', 'node-check.js')], { encoding: 'utf8' }),
  );
  const worst = Math.max(
    ...result.gradientSums.map(
      (s, i) => Math.abs(s - node.gradientSums[i]) / Math.max(1, Math.abs(node.gradientSums[i])),
    ),
  );
  check(
    result.targets.join() === node.targets.join() && worst < 1e-3,
    `browser ${JSON.stringify(result)} disagrees with node ${JSON.stringify(node)}`,
  );

  // 2. The bundled model on the bundled sample, three methods.
  const first = await explain(page);
  check(
    first.model === 'cnn_small (bundled)' && first.image === 'sample',
    `first run ${JSON.stringify(first)}`,
  );
  await checkResults(page, 'bundled');
  await page.screenshot({ path: join(artifacts, 'bundled.png'), fullPage: true });

  // 3. The same network as an uploaded .onnx file and the same picture as an uploaded image: the ONNX
  // import must reproduce the bundled model's attributions (same weights, exported from one PyTorch model).
  await page.setInputFiles('#model-file', join(repo, 'fixtures/conformance/models/cnn_small.onnx'));
  await page.setInputFiles('#image-file', join(repo, 'apps/cli/samples/cnn_small-sample.png'));
  const second = await explain(page);
  check(
    second.model === 'cnn_small.onnx' && second.image === 'cnn_small-sample.png',
    `upload run ${JSON.stringify(second)}`,
  );
  check(
    JSON.stringify(second.top.map((t) => t.index)) === JSON.stringify(first.top.map((t) => t.index)),
    `ONNX top classes ${JSON.stringify(second.top)} vs ${JSON.stringify(first.top)}`,
  );
  for (const method of METHODS) {
    const [a, b] = [first.methods[method].sum, second.methods[method].sum];
    check(
      Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a)),
      `${method}: Σ ${b} from the uploaded ONNX model vs ${a} bundled`,
    );
  }
  // The uploaded model's weights are released after the run: no tensor left behind.
  check(
    second.tensors === first.tensors,
    `tensors ${first.tensors} after the bundled run, ${second.tensors} after the upload run`,
  );
  await checkResults(page, 'upload');
  await page.screenshot({ path: join(artifacts, 'upload.png'), fullPage: true });

  // 4. Cancel pressed while a run starts: the page stops before the first method and frees its tensors.
  await page.evaluate(() => {
    document.querySelector('#run').click();
    document.querySelector('#cancel').click();
  });
  await page.waitForFunction(() => document.body.dataset.status !== 'running', null, { timeout: 60_000 });
  const cancelled = await page.evaluate(() => ({
    status: document.body.dataset.status,
    text: document.querySelector('#status').textContent,
    maps: document.querySelectorAll('canvas.heatmap').length,
    result: JSON.parse(document.body.dataset.result),
  }));
  check(
    cancelled.status === 'cancelled' && cancelled.text === 'Cancelled.' && cancelled.maps === 0,
    `cancel: ${JSON.stringify(cancelled)}`,
  );
  check(
    cancelled.result.tensors === first.tensors,
    `cancel left ${cancelled.result.tensors - first.tensors} tensors`,
  );
  await page.screenshot({ path: join(artifacts, 'cancelled.png'), fullPage: true });

  check(errors.length === 0, `console errors: ${errors.join('; ')}`);
  console.log(
    `browser check: Chromium on ${first.backend} matches Node (max rel diff ${worst.toExponential(2)}); app ran ${METHODS.join(', ')} on the bundled and an uploaded ONNX model (same sums), cancel works; screenshots in ${artifacts}`,
  );
} finally {
  await browser.close();
  server.close();
}
