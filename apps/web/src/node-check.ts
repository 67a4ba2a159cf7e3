// Built by Vite (`vite build --ssr`, every dependency bundled) and run with Node: proves a Vite build
// of the packages loads and computes, and checks the app's pipeline (src/app.ts) without a browser: the
// bundled model and the same network uploaded as an .onnx File agree on the sample, for every method, and
// leave no tensor behind. Prints the demo's per-sample gradient sums as JSON for scripts/check-browser.mjs
// to compare with the page.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeImage, resizeImage } from '@attrib/viz';
import {
  Cancelled,
  METHODS,
  bundledModel,
  disposeModel,
  explainWith,
  onnxModel,
  toBatch,
  topClasses,
  type LoadedModel,
  type MethodName,
} from './app.js';
import { demoImages, demoModel, explain } from './explain.js';

const fail = (message: string) => {
  console.error(`vite build: ${message}`);
  process.exit(1);
};

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const images = demoImages(4);
const { targets, gradientSums, saliency } = explain(demoModel(), images);
const peak = tf.max(saliency).dataSync()[0];
if (!(peak > 0) || gradientSums.some((s) => !Number.isFinite(s)))
  fail(`implausible gradients ${gradientSums} (peak saliency ${peak})`);
tf.dispose([images, saliency]);

const root = new URL('..', import.meta.url);
const sample = resizeImage(
  decodeImage(new Uint8Array(readFileSync(new URL('src/models/sample.png', root)))),
  16,
  16,
);
const onnxBytes = readFileSync(new URL('../../fixtures/conformance/models/cnn_small.onnx', root));
const methods = Object.keys(METHODS) as MethodName[];

async function run(model: LoadedModel) {
  const batch = toBatch(sample, model);
  const top = await topClasses(model, batch, 3);
  const maps = [];
  for (const method of methods) maps.push(await explainWith(model, method, batch, top[0]!.index, () => {}));
  batch.dispose();
  return { top, maps };
}

const bundled = bundledModel();
const before = tf.memory().numTensors;
const fromJson = await run(bundled);
if (tf.memory().numTensors !== before)
  fail(`the bundled run left ${tf.memory().numTensors - before} tensors`);
const uploaded = await onnxModel(new File([onnxBytes], 'cnn_small.onnx'), 0.5, 0.5);
const fromOnnx = await run(uploaded);
disposeModel(uploaded);
if (tf.memory().numTensors !== before) fail(`the ONNX run left ${tf.memory().numTensors - before} tensors`);
if (fromJson.top.map((t) => t.index).join() !== fromOnnx.top.map((t) => t.index).join())
  fail(`top classes differ: ${JSON.stringify(fromJson.top)} vs ONNX ${JSON.stringify(fromOnnx.top)}`);
for (const [i, map] of fromJson.maps.entries()) {
  const other = fromOnnx.maps[i]!;
  if (!(Math.abs(map.sum - other.sum) <= 1e-3 * Math.max(1, Math.abs(map.sum))))
    fail(`${map.method}: Σ ${map.sum} bundled vs ${other.sum} from ONNX`);
  // A 16×16 signed bwr map that is not blank: some pixels clearly red (evidence for the class).
  const { data, width, height } = map.picture;
  let red = 0;
  for (let p = 0; p < data.length; p += 4) if (data[p]! > data[p + 2]! + 40) red += 1;
  if (width !== 16 || height !== 16 || red < 0.05 * width * height)
    fail(`${map.method}: heat map ${width}×${height} with ${red} red pixels`);
}

// Cancel: a progress callback that throws stops integrated gradients mid-path without leaking tensors.
const batch = toBatch(sample, bundled);
const cancelled = await explainWith(bundled, 'integratedGradients', batch, 0, () => {
  throw new Cancelled();
}).then(
  () => false,
  (error: unknown) => error instanceof Cancelled,
);
batch.dispose();
if (!cancelled || tf.memory().numTensors !== before)
  fail(`cancel: rejected ${cancelled}, ${tf.memory().numTensors - before} tensors left`);
disposeModel(bundled);

console.log(
  JSON.stringify({
    check: 'vite-ssr',
    targets,
    gradientSums,
    app: { top: fromJson.top, sums: Object.fromEntries(fromJson.maps.map((m) => [m.method, m.sum])) },
  }),
);
