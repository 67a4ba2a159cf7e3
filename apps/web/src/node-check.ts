// Built by Vite (`vite build --ssr`, every dependency bundled) and run with Node: proves a Vite build
// of @attrib/core loads and computes input gradients. Prints the per-sample gradient sums as JSON for
// scripts/check-browser.mjs to compare with the page.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { demoImages, demoModel, explain } from './explain.js';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const images = demoImages(4);
const { targets, gradientSums, saliency } = explain(demoModel(), images);
const peak = tf.max(saliency).dataSync()[0];
if (!(peak > 0) || gradientSums.some((s) => !Number.isFinite(s))) {
  console.error(`vite build: implausible gradients ${gradientSums} (peak saliency ${peak})`);
  process.exit(1);
}
console.log(JSON.stringify({ check: 'vite-ssr', targets, gradientSums }));
