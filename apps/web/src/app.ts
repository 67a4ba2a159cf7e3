// The explanation pipeline behind the page, free of DOM code: a model (bundled or a dropped-in .onnx),
// an image brought to the model's input size, and one heat map per chosen method.
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type Graph, type JsonModel, type ProgressCallback } from '@attrib/core';
import { integratedGradients, saliency } from '@attrib/gradients';
import { epsilonPlusFlat, lrp } from '@attrib/lrp';
import { loadOnnx } from '@attrib/onnx';
import { attributionMaps, heatmap, type RgbaImage } from '@attrib/viz';
import cnnSmall from './models/cnn_small.json';

export const METHODS = {
  saliency: 'Saliency |∂f/∂x|',
  integratedGradients: 'Integrated gradients',
  'lrp:epsilonPlusFlat': 'LRP ε+♭ (epsilonPlusFlat)',
} as const;
export type MethodName = keyof typeof METHODS;

/** Heat maps use Captum's default for signed maps: red pushes towards the class, blue away from it. */
export const COLOR_MAP = 'bwr';

/** cnn_small was trained on images scaled to [-1, 1]: pixel bytes / 255, minus 0.5, over 0.5. */
const SAMPLE_NORMALIZATION = { mean: 0.5, std: 0.5 };

export interface LoadedModel {
  readonly name: string;
  readonly graph: Graph;
  /** [height, width, channels] of one sample. */
  readonly sampleShape: [number, number, number];
  readonly mean: number;
  readonly std: number;
}

function describe(name: string, graph: Graph, mean: number, std: number): LoadedModel {
  const shape = graph.inputs[0]?.shape?.slice(1);
  if (
    graph.inputs.length !== 1 ||
    shape?.length !== 3 ||
    shape.some((d) => d === null) ||
    ![1, 3].includes(shape[2]!)
  )
    throw new Error(
      `${name}: expected one image input [N, height, width, 1 or 3], got ${graph.inputs.map((i) => `[${(i.shape ?? []).join(', ')}]`).join(', ')}`,
    );
  return { name, graph, sampleShape: shape as [number, number, number], mean, std };
}

export function bundledModel(): LoadedModel {
  const { mean, std } = SAMPLE_NORMALIZATION;
  return describe('cnn_small (bundled)', loadModel(cnnSmall as unknown as JsonModel), mean, std);
}

/** An .onnx file the visitor dropped in; pixels are fed as bytes / 255 normalised by mean and std. */
export async function onnxModel(file: File, mean: number, std: number): Promise<LoadedModel> {
  return describe(file.name, await loadOnnx(file), mean, std);
}

/** The graph's weights are tensors and it has no dispose of its own. */
export function disposeModel(model: LoadedModel): void {
  tf.dispose(
    model.graph.nodes.flatMap((node) =>
      Object.values(node.module.params).filter((p) => p instanceof tf.Tensor),
    ),
  );
}

/** RGBA pixels (already at the model's size) as a [1, H, W, C] batch. */
export function toBatch(picture: RgbaImage, model: LoadedModel): tf.Tensor4D {
  const [height, width, channels] = model.sampleShape;
  const values = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p += 1) {
    const rgb = [picture.data[p * 4]!, picture.data[p * 4 + 1]!, picture.data[p * 4 + 2]!];
    const pixel = channels === 1 ? [(rgb[0]! + rgb[1]! + rgb[2]!) / 3] : rgb;
    pixel.forEach((v, c) => (values[p * channels + c] = (v / 255 - model.mean) / model.std));
  }
  return tf.tensor4d(values, [1, height, width, channels]);
}

export interface ClassScore {
  readonly index: number;
  readonly probability: number;
}

/** Softmax of the logits, best first. */
export async function topClasses(
  model: LoadedModel,
  batch: tf.Tensor4D,
  count: number,
): Promise<ClassScore[]> {
  const probabilities = tf.tidy(() => tf.softmax(model.graph.run(batch) as tf.Tensor2D));
  const row = Array.from(await probabilities.data());
  probabilities.dispose();
  return row
    .map((probability, index) => ({ index, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, count);
}

/** Thrown from a progress callback when the visitor pressed Cancel; the methods release their tensors. */
export class Cancelled extends Error {}

export interface MethodMap {
  readonly method: MethodName;
  readonly picture: RgbaImage;
  /** Σ attributions, shown next to the map and checked by the browser test. */
  readonly sum: number;
}

/** One method's attributions for `target`, drawn as a signed heat map (2 % outlier clip, as Captum). */
export async function explainWith(
  model: LoadedModel,
  method: MethodName,
  batch: tf.Tensor4D,
  target: number,
  onProgress: ProgressCallback,
): Promise<MethodMap> {
  let attributions: tf.Tensor;
  if (method === 'lrp:epsilonPlusFlat') {
    const result = lrp(model.graph, batch, { composite: epsilonPlusFlat(), target: [target] });
    attributions = tf.clone(result.attributions);
    result.dispose();
    onProgress({ done: 1, total: 1, stage: method });
  } else if (method === 'integratedGradients') {
    // Small chunks so the page can show progress (and honour Cancel) between GPU passes.
    const result = await integratedGradients(model.graph, batch, {
      target: [target],
      nSteps: 32,
      internalBatchSize: 8,
      onProgress,
    });
    attributions = tf.clone(result.attributions);
    result.dispose();
  } else {
    const result = await saliency(model.graph, batch, { target: [target] });
    attributions = tf.clone(result.attributions);
    result.dispose();
    onProgress({ done: 1, total: 1, stage: method });
  }
  try {
    const [map] = await attributionMaps(attributions);
    const total = tf.sum(attributions);
    const sum = (await total.data())[0]!;
    total.dispose();
    return { method, picture: heatmap(map!, { sign: 'all', cmap: COLOR_MAP, outlierPercentile: 2 }), sum };
  } finally {
    attributions.dispose();
  }
}
