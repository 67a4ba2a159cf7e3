// Serves the Vite build on 127.0.0.1, opens it in headless Chromium (driven by playwright-core, never a
// downloaded browser) and checks the page computed the same input gradients as the Vite SSR build on
// Node. The browser is Debian's /usr/bin/chromium (`apt-get install -y chromium`), or CHROMIUM_PATH.
/* global document -- used inside page.evaluate callbacks, which run in the browser */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  if (process.env.CI) {
    console.error(`browser check: no Chromium at ${executablePath}; CI must install it (apt-get install -y chromium)`);
    process.exit(1);
  }
  console.warn(`browser check skipped: no Chromium at ${executablePath} (apt-get install -y chromium)`);
  process.exit(0);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
const dist = join(root, 'dist');
const server = createServer((request, response) => {
  const path = normalize(join(dist, new URL(request.url, 'http://x').pathname.replace(/\/$/, '/index.html')));
  if (!path.startsWith(dist) || !existsSync(path)) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.status, null, { timeout: 60_000 });
  const status = await page.evaluate(() => document.body.dataset.status);
  if (status !== 'done') throw new Error(`page reports '${status}': ${await page.textContent('#status')} ${errors.join('; ')}`);
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  const node = JSON.parse(execFileSync(process.execPath, [join(root, 'dist-ssr', 'node-check.js')], { encoding: 'utf8' }));
  const worst = Math.max(...result.gradientSums.map((s, i) => Math.abs(s - node.gradientSums[i]) / Math.max(1, Math.abs(node.gradientSums[i]))));
  if (result.targets.join() !== node.targets.join() || !(worst < 1e-3)) {
    throw new Error(`browser (${result.backend}) ${JSON.stringify(result)} disagrees with node ${JSON.stringify(node)}`);
  }
  await page.screenshot({ path: join(root, 'dist', 'screenshot.png') });
  console.log(`browser check: Chromium on ${result.backend} matches Node (max rel diff ${worst.toExponential(2)}), ${result.targets.length} heatmaps drawn`);
} finally {
  await browser.close();
  server.close();
}
