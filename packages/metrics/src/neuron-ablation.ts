import * as tf from '@tensorflow/tfjs-core';
import {
  Graph,
  ablationReplacement,
  checkFiniteTensor,
  checkOptions,
  forEachChunk,
  invalidArgument,
  resolveInputs,
  rowsPerPass,
  type AttributionInputs,
  type ProgressCallback,
} from '@attrib/core';
import { knockoutHook } from '@attrib/perturbation';
import { ablationMasks, keepVector, permutationsFor, rankUnits, type MaskKind } from './ablation-masks.js';
import { positiveInteger } from './checks.js';
import { layerPrefix, type LayerPrefix } from './layer-prefix.js';
import { summariseCurves, type CurveSet } from './curve-summary.js';

export const ablationMetrics = ['accuracy', 'targetLogit', 'targetProbability'] as const;
export type AblationMetric = (typeof ablationMetrics)[number];

/** Inputs with one class label per sample (the label is also the target of the logit metrics). */
export interface LabelledInputs<I extends AttributionInputs = tf.Tensor> {
  /** Model inputs: a tensor, or a list / record by graph-input name for a graph with several inputs. */
  readonly inputs: I;
  readonly labels: ArrayLike<number>;
}

export interface NeuronAblationOptions {
  /** The node whose units are ablated: its output, or (`at: 'input'`) the tensor entering it. */
  readonly layer: string;
  readonly at?: 'output' | 'input';
  /** One score per unit of the layer tensor (flat, NHWC); higher = more important. */
  readonly scores: ArrayLike<number> | tf.Tensor;
  /** Held-out samples of the cluster the scores were computed on. */
  readonly evaluation: LabelledInputs<AttributionInputs>;
  /** Samples of other clusters, to see whether the ablation is specific. */
  readonly offCluster?: LabelledInputs<AttributionInputs>;
  /** Numbers of ablated units (every k from 0 to the unit count by default). */
  readonly ks?: readonly number[];
  /** Seeds of the random-k curves: a count (seeds 0..count−1) or the list. Default 20. */
  readonly seeds?: number | readonly number[];
  /** What an ablated unit becomes: 0, its mean over `reference` inputs, or `value`. */
  readonly mode?: 'zero' | 'mean' | 'value';
  /** Model inputs (a tensor, list or record) whose mean layer tensor replaces ablated units (mode 'mean'). */
  readonly reference?: AttributionInputs;
  readonly value?: number | tf.Tensor;
  /** Masks evaluated per forward pass (each on every evaluation sample). Default: about 8192 rows a pass. */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

export interface NeuronAblationResult {
  readonly layer: string;
  readonly at: 'output' | 'input';
  readonly units: number;
  readonly ks: number[];
  /** k / units, the x axis of the areas. */
  readonly fractions: number[];
  readonly seeds: number[];
  /** Unit indices, most important first. */
  readonly ranking: number[];
  readonly cluster: Record<AblationMetric, CurveSet>;
  readonly offCluster?: Record<AblationMetric, CurveSet>;
}

const FN = 'neuronAblationCurves';
const KNOWN = [
  'layer',
  'at',
  'scores',
  'evaluation',
  'offCluster',
  'ks',
  'seeds',
  'mode',
  'reference',
  'value',
  'perturbationsPerEval',
  'onProgress',
];

/** The set's graph inputs (graph order) and labels, checked. */
function checkLabelled(
  model: Graph,
  set: LabelledInputs<AttributionInputs>,
  argument: string,
): { inputs: tf.Tensor[]; labels: Int32Array } {
  if (!set || typeof set !== 'object') throw invalidArgument(FN, argument, '{ inputs, labels }', set);
  if (set.inputs instanceof tf.Tensor) {
    if (set.inputs.isDisposed)
      throw invalidArgument(
        FN,
        `${argument}.inputs`,
        'a live tensor',
        'a disposed tensor',
        'disposed-tensor',
      );
    checkFiniteTensor(set.inputs, FN, `${argument}.inputs`);
  }
  const resolved = resolveInputs(model, set.inputs, { fn: FN });
  const inputs = resolved.assemble(resolved.explained);
  resolved.dispose();
  const labels = Int32Array.from(set.labels ?? []);
  if (labels.length !== resolved.batch)
    throw invalidArgument(
      FN,
      `${argument}.labels`,
      `one class index per sample (${resolved.batch})`,
      set.labels,
    );
  return { inputs, labels };
}

/** The unit shape of the layer tensor (after the batch axis), from a one-sample forward pass. */
function unitShapeOf(model: Graph, node: string, at: 'output' | 'input', sample: tf.Tensor[]): number[] {
  return tf.tidy(() => {
    const result = model.forward(sample, { fn: FN });
    return (at === 'input' ? result.nodeInputs.get(node)![0] : result.values.get(node)!).shape.slice(1);
  });
}

/**
 * Neuron ablation curves: the model's accuracy, mean target logit and mean target probability on a
 * held-out part of a cluster (and off it) as the k highest-scored units of a layer are ablated,
 * against the k lowest and k random ones (many seeds: mean, 95% band), with areas and an empirical
 * p-value. Every (k, seed) mask runs in batches: the evaluation inputs are tiled under many masks
 * and one forward pass applies a per-sample keep mask (`knockoutHook`).
 */
export async function neuronAblationCurves(
  model: Graph,
  rawOptions: NeuronAblationOptions,
): Promise<NeuronAblationResult> {
  if (!(model instanceof Graph)) throw invalidArgument(FN, 'model', 'a Graph', model);
  if (typeof rawOptions !== 'object' || rawOptions === null)
    throw invalidArgument(FN, 'options', 'an object with layer, scores and evaluation', rawOptions);
  const options = checkOptions(FN, rawOptions, KNOWN);
  const at = options.at ?? 'output';
  if (at !== 'output' && at !== 'input') throw invalidArgument(FN, 'at', "'output' or 'input'", at);
  if (typeof options.layer !== 'string') throw invalidArgument(FN, 'layer', 'a node name', options.layer);
  model.node(options.layer, FN);
  const on = checkLabelled(model, options.evaluation, 'evaluation');
  const off = options.offCluster ? checkLabelled(model, options.offCluster, 'offCluster') : undefined;
  const onLabels = on.labels;
  const offLabels = off?.labels ?? new Int32Array(0);
  if (onLabels.length === 0)
    throw invalidArgument(FN, 'evaluation.inputs', 'at least one sample', options.evaluation.inputs);
  const seeds =
    typeof options.seeds === 'number' || options.seeds === undefined
      ? Array.from(
          { length: positiveInteger(FN, 'seeds', options.seeds as number | undefined, 20) },
          (_, s) => s,
        )
      : [...options.seeds];
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))
    throw invalidArgument(FN, 'seeds', 'a positive count or a list of integer seeds', options.seeds);

  const evalInputs = on.inputs.map((x, k) => (off ? tf.concat([x, off.inputs[k]]) : tf.clone(x)));
  const labels = Int32Array.from([...onLabels, ...offLabels]);
  const owned: tf.Tensor[] = [...evalInputs];
  let prefix: LayerPrefix | undefined;
  try {
    const unitShape = tf.tidy(() =>
      unitShapeOf(
        model,
        options.layer,
        at,
        evalInputs.map((x) => tf.slice(x, 0, 1)),
      ),
    );
    // Core's ablation by zero / mean over `reference` / value.
    const replacement = ablationReplacement(
      model,
      { node: options.layer, at, mode: options.mode, reference: options.reference, value: options.value },
      FN,
      unitShape,
    );
    if (replacement instanceof tf.Tensor) owned.push(replacement);
    const units = unitShape.reduce((a, b) => a * b, 1);
    const scores = options.scores instanceof tf.Tensor ? options.scores.dataSync() : options.scores;
    if (!scores || scores.length !== units)
      throw invalidArgument(
        FN,
        'scores',
        `one score per unit of '${options.layer}' (${units})`,
        options.scores,
      );
    if (Array.from(scores).some((s) => Number.isNaN(s)))
      throw invalidArgument(FN, 'scores', 'numbers (no NaN)', 'NaN', 'non-finite-input');
    const ks = options.ks ? [...options.ks] : Array.from({ length: units + 1 }, (_, k) => k);
    if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 0 || k > units))
      throw invalidArgument(FN, 'ks', `integers in [0, ${units}]`, options.ks);
    const outputShape = tf.tidy(() => model.run(evalInputs.map((x) => tf.slice(x, 0, 1))).shape);
    const classes = outputShape.slice(1).reduce((a, b) => a * b, 1);
    if (labels.some((l) => l < 0 || l >= classes))
      throw invalidArgument(
        FN,
        'evaluation.labels',
        `class indices in [0, ${classes})`,
        Array.from(labels),
        'target-out-of-range',
      );

    const ranking = rankUnits(scores);
    const masks = ablationMasks(ranking, ks, seeds);
    const permutations = permutationsFor(units, seeds);
    const rows = labels.length;
    // Masks per pass: the caller's, else what core's memory budget allows for `rows` rows each.
    const perEval =
      options.perturbationsPerEval !== undefined
        ? positiveInteger(FN, 'perturbationsPerEval', options.perturbationsPerEval)
        : Math.max(1, Math.floor(rowsPerPass(model, evalInputs, { fn: FN }) / rows));
    // Metric sums per mask: [mask][on/off][metric], flat.
    const sums = new Float64Array(masks.length * 6);
    prefix = layerPrefix(model, evalInputs, options.layer, at, FN);
    const replayed = prefix;
    await forEachChunk(
      masks.length,
      perEval,
      { fn: FN, onProgress: options.onProgress, stage: 'ablation', rowsPerItem: rows },
      (start, end) => {
        const chunkSums = evaluateMasks(
          model,
          replayed,
          labels,
          onLabels.length,
          masks.slice(start, end),
          (mask) => keepVector(mask, ranking, permutations),
          {
            layer: options.layer,
            at,
            unitShape,
            replacement,
          },
        );
        sums.set(chunkSums, start * 6);
      },
    );

    const fractions = ks.map((k) => k / units);
    // Masks are k-major: top, bottom, then one per seed (see ablationMasks).
    const perK = 2 + seeds.length;
    const summarise = (side: 0 | 1, count: number) =>
      Object.fromEntries(
        ablationMetrics.map((metric, j) => {
          const curve = (offset: number) =>
            ks.map((_, k) => sums[((k * perK + offset) * 2 + side) * 3 + j] / count);
          const perSeed = seeds.map((_, s) => curve(2 + s));
          return [metric, summariseCurves(fractions, curve(0), curve(1), perSeed)];
        }),
      ) as Record<AblationMetric, CurveSet>;
    return {
      layer: options.layer,
      at,
      units,
      ks,
      fractions,
      seeds,
      ranking,
      cluster: summarise(0, onLabels.length),
      ...(offLabels.length ? { offCluster: summarise(1, offLabels.length) } : {}),
    };
  } finally {
    tf.dispose(owned);
    prefix?.dispose();
  }
}

/**
 * One forward pass over `masks.length` copies of the inputs, copy m ablated by mask m. Returns per
 * mask the sums over the first `onCount` rows and over the rest of [correct, target logit, target
 * probability] (flat [mask][side][metric]), computed on the host from the logits.
 */
function evaluateMasks(
  model: Graph,
  prefix: LayerPrefix,
  labels: Int32Array,
  onCount: number,
  masks: readonly MaskKind[],
  keepOf: (mask: MaskKind) => Float32Array,
  layer: { layer: string; at: 'output' | 'input'; unitShape: number[]; replacement: tf.Tensor | number },
): Float64Array {
  const rows = labels.length;
  const units = layer.unitShape.reduce((a, b) => a * b, 1);
  const copies = masks.length;
  // Each mask repeated over the rows of its copy: [copies·rows, ...unit], built on the host.
  const keepData = new Float32Array(copies * rows * units);
  masks.forEach((mask, m) => {
    const keep = keepOf(mask);
    for (let e = 0; e < rows; e++) keepData.set(keep, (m * rows + e) * units);
  });
  const logits = tf.tidy(() => {
    const { hooks, inputs } = prefix.forCopies(copies);
    const keep = tf.tensor(keepData, [copies * rows, ...layer.unitShape]);
    const hook = knockoutHook({
      node: layer.layer,
      at: layer.at,
      keep,
      replacement: layer.replacement,
      name: 'neuronAblationCurves',
    });
    return tf.reshape(model.forward(inputs, { hooks: [...hooks, hook], fn: FN }).output, [copies * rows, -1]);
  });
  const data = logits.dataSync();
  const classes = logits.shape[1]!;
  logits.dispose();
  const sums = new Float64Array(copies * 6);
  for (let r = 0; r < copies * rows; r++) {
    const base = r * classes;
    const e = r % rows;
    const label = labels[e];
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (data[base + c] > max) {
        max = data[base + c];
        best = c;
      }
    }
    let total = 0;
    for (let c = 0; c < classes; c++) total += Math.exp(data[base + c] - max);
    const at = (Math.floor(r / rows) * 2 + (e < onCount ? 0 : 1)) * 3;
    sums[at] += best === label ? 1 : 0;
    sums[at + 1] += data[base + label];
    sums[at + 2] += Math.exp(data[base + label] - max) / total;
  }
  return sums;
}
