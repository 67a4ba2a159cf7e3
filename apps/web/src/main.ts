import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { demoImages, demoModel, explain } from './explain.js';

async function pickBackend(): Promise<string> {
  for (const name of ['webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) return name;
    } catch {
      // try the next one
    }
  }
  throw new Error('no tfjs backend could start');
}

function drawHeatmap(canvas: HTMLCanvasElement, values: Float32Array | Int32Array | Uint8Array, size: number) {
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(size, size);
  const peak = Math.max(...Array.from(values)) || 1;
  values.forEach((v, i) => {
    const t = v / peak;
    image.data.set([255 * Math.min(1, 2 * t), 255 * Math.max(0, 2 * t - 1), 64 * (1 - t), 255], i * 4);
  });
  context.putImageData(image, 0, 0);
}

async function main() {
  const status = document.querySelector('#status')!;
  const backend = await pickBackend();
  status.textContent = `backend: ${backend}; explaining…`;
  const model = demoModel();
  const images = demoImages(4);
  const { targets, saliency, gradientSums } = explain(model, images);
  const maps = await saliency.array();
  const gallery = document.querySelector('#gallery')!;
  maps.forEach((map, i) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 16;
    canvas.title = `sample ${i}, class ${targets[i]}`;
    drawHeatmap(canvas, Float32Array.from(map.flat()), 16);
    gallery.append(canvas);
  });
  tf.dispose([images, saliency]);
  status.textContent = `backend: ${backend}; saliency of the predicted class for ${targets.length} samples`;
  document.body.dataset.result = JSON.stringify({ backend, targets, gradientSums, tensors: tf.memory().numTensors });
  document.body.dataset.status = 'done';
}

main().catch((error) => {
  document.querySelector('#status')!.textContent = `failed: ${error}`;
  document.body.dataset.status = 'failed';
});
