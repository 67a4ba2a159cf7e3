import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type Graph, type JsonModel } from '@attrib/core';
import {
  deconvolution,
  guidedBackprop,
  inputXGradient,
  integratedGradients,
  layerGradCam,
  saliency,
} from '@attrib/gradients';
import {
  epsilonAlpha2Beta1,
  epsilonAlpha2Beta1Flat,
  epsilonPlus,
  epsilonPlusFlat,
  lrp,
  type Composite,
} from '@attrib/lrp';
import {
  colorBar,
  decodeImage,
  defaultColorMap,
  encodePng,
  grid,
  heatmap,
  paste,
  renderText,
  createImage,
  resizeImage,
  scaleImage,
  attributionMaps,
  type RgbaImage,
  type Sign,
} from '@attrib/viz';
import { decodeNpy, encodeNpy } from './npy.js';

/** A refusal written for the person at the terminal: printed as one line, exit code 1. */
export class ExplainError extends Error {}

export const LRP_PRESETS: Record<string, () => Composite> = {
  epsilonPlus: () => epsilonPlus(),
  epsilonPlusFlat: () => epsilonPlusFlat(),
  epsilonAlpha2Beta1: () => epsilonAlpha2Beta1(),
  epsilonAlpha2Beta1Flat: () => epsilonAlpha2Beta1Flat(),
};
export const GRADIENT_METHODS = [
  'saliency',
  'inputXGradient',
  'integratedGradients',
  'guidedBackprop',
  'deconvolution',
] as const;
export const METHOD_NAMES = [
  ...GRADIENT_METHODS,
  'gradCam',
  ...Object.keys(LRP_PRESETS).map((p) => `lrp:${p}`),
];

export interface ExplainOptions {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly methods: readonly string[];
  /** A class index or a label from `labels`; default: each input's predicted class. */
  readonly target?: string;
  readonly labels?: readonly string[];
  /** The conv layer GradCAM reads (`gradCam` needs it). */
  readonly layer?: string;
  readonly out: string;
  /** Image size fed to the model, [height, width]; default the model's declared input size. */
  readonly size?: readonly [number, number];
  /** Pixel bytes × scale, then (· − mean) / std, per channel. */
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly channelOrder: 'rgb' | 'bgr';
  readonly sign: Sign;
  readonly cmap?: string;
  readonly outlierPercentile: number;
  readonly steps: number;
  readonly onProgress?: (done: number, total: number, stage: string) => void;
}

export interface ExplainedInput {
  readonly input: string;
  readonly target: number;
  readonly label?: string;
  readonly logits: number[];
  readonly pictures: Record<string, string>;
  /** Per method with one: IG's convergence delta, LRP's Σ output − Σ input relevance. */
  readonly completenessDelta: Record<string, number>;
  readonly grid: string;
}

export interface ExplainSummary {
  readonly model: string;
  readonly methods: readonly string[];
  readonly colorMap: string;
  readonly sign: Sign;
  readonly attributions: Record<string, string>;
  readonly inputs: readonly ExplainedInput[];
}

async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ExplainError(`cannot read ${what} '${path}': ${reason}`);
  }
}

/** attrib-model/1 JSON, a tfjs-layers model.json or an .onnx file, told apart by content, not only name. */
export async function loadAnyModel(path: string): Promise<Graph> {
  const bytes = await readInputFile(path, '--model');
  if (extname(path).toLowerCase() === '.onnx') {
    const { importOnnx } = await import('@attrib/onnx');
    return importOnnx(bytes);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ExplainError(
      `--model '${path}' is neither JSON (attrib-model/1, tfjs-layers model.json) nor an .onnx file`,
    );
  }
  const record = (json ?? {}) as Record<string, unknown>;
  if ('modelTopology' in record || record.format === 'layers-model') {
    const { loadLayersModel } = await import('@attrib/tfjs-layers');
    return loadLayersModel(resolve(path));
  }
  if (typeof record.format !== 'string' || !record.format.startsWith('attrib-model/'))
    throw new ExplainError(
      `--model '${path}' is JSON but not a model (expected format 'attrib-model/1' or a tfjs-layers model.json)`,
    );
  const model = json as JsonModel;
  const weightsFile = model.weights ? join(dirname(path), model.weights.path ?? 'weights.bin') : undefined;
  const weights = weightsFile ? await readInputFile(weightsFile, 'the weights file') : undefined;
  return loadModel(model, { weights });
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

interface LoadedInputs {
  readonly batch: tf.Tensor;
  /** Per sample: a display name and, for image files, the picture as fed to the model. */
  readonly samples: { name: string; picture?: RgbaImage }[];
}

function flatten(value: unknown, where: string): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => flatten(v, where));
  throw new ExplainError(`${where}: expected numbers or nested arrays of numbers`);
}

async function loadInputs(
  paths: readonly string[],
  sampleShape: number[],
  options: ExplainOptions,
): Promise<LoadedInputs> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  const samples: LoadedInputs['samples'] = [];
  const add = (flat: ArrayLike<number>, name: string, where: string) => {
    if (flat.length % size !== 0 || flat.length === 0)
      throw new ExplainError(
        `${where} holds ${flat.length} values, not a multiple of the model's sample size ${size} [${sampleShape.join(', ')}]`,
      );
    const n = flat.length / size;
    for (let i = 0; i < flat.length; i += 1) values.push(flat[i]!);
    for (let i = 0; i < n; i += 1) samples.push({ name: n === 1 ? name : `${name}-${i}` });
  };
  for (const path of paths) {
    const bytes = await readInputFile(path, '--input');
    const ext = extname(path).toLowerCase();
    const name = basename(path, extname(path));
    if (IMAGE_EXTENSIONS.has(ext)) {
      if (sampleShape.length !== 3 || ![1, 3].includes(sampleShape[2]!))
        throw new ExplainError(
          `--input '${path}' is an image, but the model takes [${sampleShape.join(', ')}] (an image model takes [height, width, 1 or 3])`,
        );
      let image;
      try {
        image = decodeImage(bytes);
      } catch {
        throw new ExplainError(`--input '${path}' is not a readable PNG or JPEG file`);
      }
      const [height, width] = options.size ?? [sampleShape[0]!, sampleShape[1]!];
      if (height !== sampleShape[0] || width !== sampleShape[1])
        throw new ExplainError(
          `--size ${height}x${width} differs from the model's input ${sampleShape[0]}x${sampleShape[1]}`,
        );
      const picture = resizeImage(image, width, height);
      const channels = sampleShape[2]!;
      for (let p = 0; p < width * height; p += 1) {
        const rgb = [picture.data[p * 4]!, picture.data[p * 4 + 1]!, picture.data[p * 4 + 2]!];
        const ordered = options.channelOrder === 'bgr' ? rgb.reverse() : rgb;
        const pixel = channels === 1 ? [(rgb[0]! + rgb[1]! + rgb[2]!) / 3] : ordered;
        pixel.forEach((v, c) => {
          const mean = options.mean[options.mean.length === 1 ? 0 : c] ?? 0;
          const std = options.std[options.std.length === 1 ? 0 : c] ?? 1;
          values.push((v * options.scale - mean) / std);
        });
      }
      samples.push({ name, picture });
    } else if (ext === '.npy') {
      let decoded;
      try {
        decoded = decodeNpy(bytes, `--input '${path}'`);
      } catch (error) {
        throw new ExplainError((error as Error).message);
      }
      add(decoded.values, name, `--input '${path}'`);
    } else if (ext === '.json') {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new ExplainError(`--input '${path}' is not valid JSON`);
      }
      const data = (json as { data?: unknown })?.data ?? json;
      add(flatten(data, `--input '${path}'`), name, `--input '${path}'`);
    } else if (ext === '.csv') {
      const numbers = new TextDecoder()
        .decode(bytes)
        .split(/[\s,]+/)
        .filter((s) => s !== '')
        .map(Number);
      if (numbers.some((v) => !Number.isFinite(v)))
        throw new ExplainError(`--input '${path}': every CSV cell must be a number`);
      add(numbers, name, `--input '${path}'`);
    } else {
      throw new ExplainError(
        `--input '${path}': unknown file type '${ext}' (expected .png, .jpg, .npy, .json or .csv)`,
      );
    }
  }
  return { batch: tf.tensor(values, [samples.length, ...sampleShape]), samples };
}

function resolveTarget(
  target: string | undefined,
  labels: readonly string[] | undefined,
  classes: number,
): number | undefined {
  if (target === undefined) return undefined;
  const index = labels?.indexOf(target) ?? -1;
  if (index >= 0) return index;
  const parsed = Number(target);
  if (target.trim() === '' || !Number.isInteger(parsed) || parsed < 0 || parsed >= classes)
    throw new ExplainError(
      `--target must be a class index in [0, ${classes})${labels ? ` or one of the labels ${labels.join(', ')}` : ''}, got '${target}'`,
    );
  return parsed;
}

interface MethodOutput {
  attributions: tf.Tensor;
  delta?: Float32Array | Int32Array | Uint8Array;
}

async function runMethod(
  model: Graph,
  method: string,
  batch: tf.Tensor,
  target: number[],
  options: ExplainOptions,
): Promise<MethodOutput> {
  if (method === 'gradCam') {
    // Upsampled to the input (nearest, as Captum's interpolate) so it lies over the image like the others.
    const result = layerGradCam(model, batch, { layer: options.layer!, target, upsampleToInput: true });
    const attributions = tf.clone(result.attributions);
    result.dispose();
    return { attributions };
  }
  if (method.startsWith('lrp:')) {
    const result = lrp(model, batch, { composite: LRP_PRESETS[method.slice(4)]!(), target });
    const gap = tf.sub(result.conservation.output, result.conservation.input);
    const delta = gap.dataSync() as Float32Array;
    gap.dispose();
    const attributions = tf.clone(result.attributions);
    result.dispose();
    return { attributions, delta };
  }
  if (method === 'integratedGradients') {
    const result = await integratedGradients(model, batch, {
      target,
      nSteps: options.steps,
      returnConvergenceDelta: true,
    });
    const delta = await result.delta.data();
    const attributions = tf.clone(result.attributions);
    result.dispose();
    return { attributions, delta };
  }
  const run = { saliency, inputXGradient, guidedBackprop, deconvolution }[method as 'saliency'];
  const result = await run(model, batch, { target });
  const attributions = tf.clone(result.attributions);
  result.dispose();
  return { attributions };
}

const slug = (method: string) => method.replace(':', '-');

/**
 * Explains each input with each method and writes, under `out`: `<input>.<method>.png` (heat map over
 * its colour bar), `<input>.grid.png` (the input and every method side by side, titled),
 * `<method>.npy` (the batch of attributions) and `summary.json`.
 */
export async function runExplain(options: ExplainOptions): Promise<ExplainSummary> {
  for (const method of options.methods)
    if (!METHOD_NAMES.includes(method))
      throw new ExplainError(`--method '${method}' is not one of ${METHOD_NAMES.join(', ')}`);
  const model = await loadAnyModel(options.model);
  try {
    return await explainWith(model, options);
  } finally {
    // The graph holds its weights as tensors and has no dispose of its own: release them here.
    tf.dispose(
      model.nodes.flatMap((node) => Object.values(node.module.params).filter((p) => p instanceof tf.Tensor)),
    );
  }
}

async function explainWith(model: Graph, options: ExplainOptions): Promise<ExplainSummary> {
  if (options.methods.includes('gradCam') && options.layer === undefined)
    throw new ExplainError(
      `--method gradCam needs --layer <node> (a conv layer; the model's nodes: ${model.nodes.map((n) => n.name).join(', ')})`,
    );
  const declared = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || declared === undefined || declared.slice(1).some((d) => d === null))
    throw new ExplainError(`--model '${options.model}' must have one input with a declared sample shape`);
  const sampleShape = declared.slice(1) as number[];
  const { batch, samples } = await loadInputs(options.inputs, sampleShape, options);
  await mkdir(options.out, { recursive: true });
  const cmap = options.cmap ?? defaultColorMap(options.sign);
  try {
    const logits = model.run(batch);
    const logitRows = (await logits.array()) as number[][];
    logits.dispose();
    const classes = logitRows[0]!.length;
    const fixed = resolveTarget(options.target, options.labels, classes);
    const targets = logitRows.map((row) => fixed ?? row.indexOf(Math.max(...row)));
    const pictures: Record<string, RgbaImage>[] = samples.map(() => ({}));
    const deltas: Record<string, number>[] = samples.map(() => ({}));
    const attributionFiles: Record<string, string> = {};
    let done = 0;
    for (const method of options.methods) {
      options.onProgress?.(done, options.methods.length, method);
      const { attributions, delta } = await runMethod(model, method, batch, targets, options);
      const values = (await attributions.data()) as Float32Array;
      const npy = join(options.out, `${slug(method)}.npy`);
      await writeFile(npy, encodeNpy(values, attributions.shape));
      attributionFiles[method] = npy;
      // A vector model's [N, F] attributions are drawn as a 1×F strip.
      const drawn =
        attributions.rank === 2
          ? tf.reshape(attributions, [attributions.shape[0]!, 1, attributions.shape[1]!])
          : attributions;
      const maps = await attributionMaps(drawn);
      if (drawn !== attributions) drawn.dispose();
      attributions.dispose();
      maps.forEach((map, i) => {
        pictures[i]![method] = heatmap(map, {
          sign: options.sign,
          cmap,
          outlierPercentile: options.outlierPercentile,
        });
        if (delta) deltas[i]![method] = delta[i]!;
      });
      done += 1;
    }
    options.onProgress?.(done, options.methods.length, 'writing pictures');
    const explained: ExplainedInput[] = [];
    for (const [i, sample] of samples.entries()) {
      const written: Record<string, string> = {};
      const factor = Math.max(
        1,
        Math.floor(256 / Math.max(...Object.values(pictures[i]!).map((p) => p.width), 1)),
      );
      const panels = [];
      if (sample.picture) panels.push({ image: scaleImage(sample.picture, factor), title: 'input' });
      for (const method of options.methods) {
        const big = scaleImage(pictures[i]![method]!, factor);
        const file = join(options.out, `${sample.name}.${slug(method)}.png`);
        await writeFile(file, encodePng(withColorBar(big, cmap)));
        written[method] = file;
        panels.push({ image: big, title: method });
      }
      const gridFile = join(options.out, `${sample.name}.grid.png`);
      const legend = options.sign === 'all' ? `${cmap}: - 0 +` : `${cmap}: 0 to max`;
      await writeFile(gridFile, encodePng(withColorBar(grid(panels), cmap, legend)));
      explained.push({
        input: sample.name,
        target: targets[i]!,
        ...(options.labels?.[targets[i]!] !== undefined ? { label: options.labels[targets[i]!] } : {}),
        logits: logitRows[i]!,
        pictures: written,
        completenessDelta: deltas[i]!,
        grid: gridFile,
      });
    }
    const summary: ExplainSummary = {
      model: options.model,
      methods: options.methods,
      colorMap: cmap,
      sign: options.sign,
      attributions: attributionFiles,
      inputs: explained,
    };
    await writeFile(join(options.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    batch.dispose();
  }
}

/**
 * `image` over a colour bar as wide as it (at most 256 px, 8 px margins when labelled), with an optional
 * legend in the bitmap font between them: the bar says which colour is which sign.
 */
function withColorBar(image: RgbaImage, cmap: string, legend?: string): RgbaImage {
  const margin = legend === undefined ? 0 : 8;
  const text = legend === undefined ? undefined : renderText(legend);
  const length = Math.min(image.width - 2 * margin, 256);
  const top = image.height + 8 + (text ? text.height + 4 : 0);
  const out = createImage(image.width, top + 12 + margin, [255, 255, 255, 255]);
  paste(out, image, 0, 0);
  if (text) paste(out, text, margin, image.height + 8);
  paste(out, colorBar(cmap, { length, thickness: 12 }), margin, top);
  return out;
}
