import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { colorBar, scaleImage, toImageData, type RgbaImage } from '@attrib/viz';
import {
  COLOR_MAP,
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
import sampleUrl from './models/sample.png';

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;
const status = $<HTMLParagraphElement>('#status');
const progress = $<HTMLProgressElement>('#progress');
const runButton = $<HTMLButtonElement>('#run');
const cancelButton = $<HTMLButtonElement>('#cancel');
const results = $<HTMLDivElement>('#results');

/** Panels are drawn at least this many CSS pixels wide, nearest-neighbour, so 16×16 inputs stay legible. */
const PANEL = 192;

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

/** The picture decoded by the browser and squeezed to the model's input size. */
async function readPicture(source: Blob, width: number, height: number): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(source);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const { data } = context.getImageData(0, 0, width, height);
  return { width, height, data };
}

function canvasOf(image: RgbaImage, className: string): HTMLCanvasElement {
  const factor = Math.max(1, Math.floor(PANEL / image.width));
  const big = scaleImage(image, factor);
  const canvas = document.createElement('canvas');
  canvas.width = big.width;
  canvas.height = big.height;
  canvas.className = className;
  canvas.getContext('2d')!.putImageData(toImageData(big), 0, 0);
  return canvas;
}

function panel(title: string, body: Node[], testId: string): HTMLElement {
  const figure = document.createElement('figure');
  figure.dataset.testid = testId;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, ...body);
  return figure;
}

function legend(): HTMLElement {
  const bar = canvasOf(colorBar(COLOR_MAP, { length: PANEL, thickness: 14 }), 'colorbar');
  const labels = document.createElement('div');
  labels.className = 'colorbar-labels';
  for (const text of ['− against', '0', 'for +'])
    labels.append(Object.assign(document.createElement('span'), { textContent: text }));
  const wrapper = document.createElement('div');
  wrapper.className = 'legend';
  wrapper.append(bar, labels);
  return wrapper;
}

const selectedMethods = () =>
  Array.from(document.querySelectorAll<HTMLInputElement>('input[name=method]:checked')).map(
    (box) => box.value as MethodName,
  );

let cancelRequested = false;
let bundled: LoadedModel | undefined;

async function chosenModel(): Promise<{ model: LoadedModel; owned: boolean }> {
  const file = $<HTMLInputElement>('#model-file').files?.[0];
  if (file) {
    const mean = Number($<HTMLInputElement>('#mean').value);
    const std = Number($<HTMLInputElement>('#std').value);
    return { model: await onnxModel(file, mean, std), owned: true };
  }
  bundled ??= bundledModel();
  return { model: bundled, owned: false };
}

async function run() {
  const methods = selectedMethods();
  if (methods.length === 0) {
    status.textContent = 'Choose at least one method.';
    return;
  }
  cancelRequested = false;
  runButton.disabled = true;
  cancelButton.disabled = false;
  document.body.dataset.status = 'running';
  results.replaceChildren();
  const report: Record<string, unknown> = { backend: tf.getBackend(), methods: {} };
  let chosen: { model: LoadedModel; owned: boolean } | undefined;
  let batch: tf.Tensor4D | undefined;
  try {
    chosen = await chosenModel();
    const { model } = chosen;
    const [height, width] = model.sampleShape;
    const imageFile = $<HTMLInputElement>('#image-file').files?.[0];
    const picture = await readPicture(imageFile ?? (await (await fetch(sampleUrl)).blob()), width, height);
    batch = toBatch(picture, model);
    Object.assign(report, { model: model.name, image: imageFile?.name ?? 'sample' });
    const top = await topClasses(model, batch, 3);
    const list = document.createElement('ol');
    list.className = 'top';
    for (const { index, probability } of top)
      list.append(
        Object.assign(document.createElement('li'), {
          textContent: `class ${index}: ${(100 * probability).toFixed(1)} %`,
        }),
      );
    results.append(
      panel(`Input (${width}×${height}) — ${model.name}`, [canvasOf(picture, 'input'), list], 'input'),
    );
    report.top = top;
    const target = top[0]!.index;
    // Progress counts methods, with integrated gradients' path chunks as fractions of its share.
    progress.max = methods.length;
    for (const [i, method] of methods.entries()) {
      status.textContent = `${METHODS[method]} for class ${target} (${i + 1}/${methods.length}) on ${tf.getBackend()}…`;
      progress.value = i;
      // Yield so the status, the progress bar and a Cancel click get through between methods.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (cancelRequested) throw new Cancelled();
      const map = await explainWith(model, method, batch, target, ({ done, total }) => {
        if (cancelRequested) throw new Cancelled();
        progress.value = i + done / total;
      });
      (report.methods as Record<string, unknown>)[method] = { sum: map.sum };
      const sum = Object.assign(document.createElement('p'), {
        className: 'sum',
        textContent: `Σ attribution = ${map.sum.toPrecision(4)}`,
      });
      results.append(panel(METHODS[method], [canvasOf(map.picture, 'heatmap'), legend(), sum], method));
    }
    progress.value = methods.length;
    status.textContent = `Explained class ${target} with ${methods.length} method(s) on ${tf.getBackend()}. Red: evidence for the class; blue: against.`;
    document.body.dataset.status = 'done';
  } catch (error) {
    const cancelled = error instanceof Cancelled;
    status.textContent = cancelled ? 'Cancelled.' : `Failed: ${(error as Error).message}`;
    document.body.dataset.status = cancelled ? 'cancelled' : 'failed';
  } finally {
    batch?.dispose();
    if (chosen?.owned) disposeModel(chosen.model);
    report.tensors = tf.memory().numTensors;
    document.body.dataset.result = JSON.stringify(report);
    runButton.disabled = false;
    cancelButton.disabled = true;
  }
}

/** For the browser test: the original cross-check against the Vite SSR build on Node. */
function selfCheck() {
  const images = demoImages(4);
  const { targets, saliency, gradientSums } = explain(demoModel(), images);
  tf.dispose([images, saliency]);
  return { targets, gradientSums };
}

async function main() {
  const backend = await pickBackend();
  const boxes = $<HTMLFieldSetElement>('#methods');
  for (const [value, label] of Object.entries(METHODS)) {
    const box = Object.assign(document.createElement('input'), {
      type: 'checkbox',
      name: 'method',
      value,
      checked: true,
    });
    const text = document.createElement('label');
    text.append(box, ` ${label}`);
    boxes.append(text);
  }
  runButton.addEventListener('click', () => void run());
  cancelButton.addEventListener('click', () => (cancelRequested = true));
  (window as unknown as { attribSelfCheck: typeof selfCheck }).attribSelfCheck = selfCheck;
  status.textContent = `Ready (tfjs backend: ${backend}). Pick a model and an image, then Explain.`;
  runButton.disabled = false;
  document.body.dataset.status = 'ready';
}

main().catch((error) => {
  status.textContent = `failed: ${error}`;
  document.body.dataset.status = 'failed';
});
