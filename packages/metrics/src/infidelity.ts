import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  evaluateMasked,
  invalidArgument,
  ownResult,
  normalRows,
  repeatRows,
  rowStreams,
  shapeMismatch,
  type AttributionInputs,
  type Disposable,
  type Graph,
  type ProgressCallback,
} from '@attrib/core';
import { positiveInteger } from './checks.js';
import { inputMetric, type InputMetricOptions } from './metric-inputs.js';

/**
 * Makes perturbations for inputs repeated `nPerturbSamples` times (sample i in rows i·n … i·n+n−1):
 * returns the perturbation `I` and the perturbed input (Captum: `x − I` for a subtractive noise). With
 * several explained inputs it receives and returns one tensor per input (lists).
 */
export type PerturbFunction = (inputsExpanded: tf.Tensor | tf.Tensor[]) => {
  perturbations: tf.Tensor | tf.Tensor[];
  perturbedInputs: tf.Tensor | tf.Tensor[];
};

export interface InfidelityOptions extends Omit<InputMetricOptions, 'featureMask' | 'baselines'> {
  /** Attributions in the structure of the inputs. */
  readonly attributions: AttributionInputs;
  /** How many perturbations per sample. */
  readonly nPerturbSamples: number;
  /** Either a perturbation function, or the perturbations themselves (`[N·n, ...]` per input, subtracted from x). */
  readonly perturbFunc?: PerturbFunction;
  readonly perturbations?: tf.Tensor | readonly tf.Tensor[];
  /** Rescale the attributions by the least-squares β first (Captum `normalize`). */
  readonly normalize?: boolean;
  /** Perturbed rows per forward pass (default: what core's memory budget allows). */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

const FN = 'infidelity';
const KNOWN = [
  'attributions',
  'target',
  'nPerturbSamples',
  'perturbFunc',
  'perturbations',
  'normalize',
  'perturbationsPerEval',
  'memoryBudget',
  'onProgress',
  'additionalInputs',
];

/** A tensor or a list of tensors as a list of `count` checked tensors of the given shapes. */
function asList(value: unknown, shapes: readonly number[][], argument: string): tf.Tensor[] {
  const list = value instanceof tf.Tensor ? [value] : Array.isArray(value) ? value : [];
  if (list.length !== shapes.length)
    throw invalidArgument(FN, argument, `one tensor per explained input (${shapes.length})`, value);
  return list.map((t, k) => {
    const name = shapes.length === 1 ? argument : `${argument}[${k}]`;
    if (!(t instanceof tf.Tensor)) throw invalidArgument(FN, name, 'a tensor', t);
    if (t.isDisposed)
      throw invalidArgument(FN, name, 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    if (t.shape.join() !== shapes[k].join())
      throw shapeMismatch(FN, name, `[${shapes[k].join(', ')}] (N·nPerturbSamples rows)`, t.shape);
    return t;
  });
}

/**
 * Captum's infidelity (Yeh et al. 2019): the mean squared gap between what the attributions predict
 * for a perturbation, Σ attr ⊙ I (over every explained input), and what the model does,
 * f(x)[t] − f(x − I)[t]. One value per sample.
 */
export async function infidelity(
  model: Graph,
  inputs: AttributionInputs,
  rawOptions: InfidelityOptions,
): Promise<{ infidelity: tf.Tensor1D } & Disposable> {
  const options = checkOptions(FN, rawOptions, KNOWN, { booleans: ['normalize'] });
  const n = positiveInteger(FN, 'nPerturbSamples', options.nPerturbSamples);
  if (!options.perturbFunc === !options.perturbations) {
    throw invalidArgument(
      FN,
      'perturbFunc',
      'given, or else perturbations (exactly one of the two)',
      options.perturbFunc ?? options.perturbations,
    );
  }
  if (options.perturbFunc !== undefined && typeof options.perturbFunc !== 'function')
    throw invalidArgument(FN, 'perturbFunc', 'a function', options.perturbFunc);
  const metric = inputMetric(model, inputs, options, FN);
  let perturbations: tf.Tensor[] = [];
  let perturbedInputs: tf.Tensor[] = [];
  try {
    const { batch, explained } = metric.inputs;
    const rows = batch * n;
    const shapes = explained.map((x) => [rows, ...x.shape.slice(1)]);
    const single = explained.length === 1;
    [perturbations, perturbedInputs] = tf.tidy(() => {
      const expanded = explained.map((x) => repeatRows(x, n, 'sample-major'));
      if (options.perturbations) {
        const given = asList(options.perturbations, shapes, 'perturbations');
        return [given.map((g) => tf.clone(g)), given.map((g, k) => tf.sub(expanded[k], g))];
      }
      const made = options.perturbFunc!(single ? expanded[0] : expanded);
      return [
        asList(made.perturbations, shapes, 'perturbFunc(...).perturbations'),
        asList(made.perturbedInputs, shapes, 'perturbFunc(...).perturbedInputs'),
      ];
    });
    // Σ attr ⊙ I per row, on the host in float64 as the reference does.
    const predicted = new Float64Array(rows);
    metric.attributions.forEach((attribution, k) => {
      const attr = attribution.dataSync();
      const pert = perturbations[k].dataSync();
      const size = attr.length / batch;
      for (let r = 0; r < rows; r++) {
        const base = Math.floor(r / n) * size;
        let sum = 0;
        for (let j = 0; j < size; j++) sum += attr[base + j] * pert[r * size + j];
        predicted[r] += sum;
      }
    });
    // The perturbed rows are given: core's engine runs them as rows whose every element is replaced.
    const values = await evaluateMasked(metric.scorer, [], {
      total: rows,
      sampleOf: (r) => Math.floor(r / n),
      perturbationsPerEval: options.perturbationsPerEval,
      memoryBudget: options.memoryBudget,
      onProgress: options.onProgress,
      stage: 'perturbations',
      keep: (start, end) => explained.map((x) => tf.zeros([end - start, ...x.shape.slice(1).map(() => 1)])),
      replacement: (start, end) => perturbedInputs.map((p) => tf.slice(p, start, end - start)),
    });
    const original = metric.scorer.reference;
    const result = new Float32Array(batch);
    for (let i = 0; i < batch; i++) {
      const observed = (r: number) => original[i] - values[r];
      let beta = 1;
      if (options.normalize) {
        let num = 0;
        let den = 0;
        for (let r = i * n; r < (i + 1) * n; r++) {
          num += predicted[r] * observed(r);
          den += predicted[r] * predicted[r];
        }
        beta = den === 0 ? 0 : num / den;
      }
      let sum = 0;
      for (let r = i * n; r < (i + 1) * n; r++) sum += (beta * predicted[r] - observed(r)) ** 2;
      result[i] = sum / n;
    }
    return ownResult({ infidelity: tf.tensor1d(result) });
  } finally {
    tf.dispose([...perturbations, ...perturbedInputs]);
    metric.dispose();
  }
}

/**
 * Gaussian noise perturbations `I ~ N(0, std²)`, perturbed input `x − I`, per explained input. Seeded
 * (0 is a seed): row r of input k draws from its own stream (core's `rowStreams`), so the same call
 * gives the same noise, and a sample's noise (rows i·n … i·n+n−1) does not depend on the batch size.
 */
export function gaussianPerturbation(options: { std?: number; seed?: number } = {}): PerturbFunction {
  const fn = 'gaussianPerturbation';
  const seed = checkSeed(fn, options?.seed);
  const std = options?.std ?? 0.1;
  if (typeof std !== 'number' || !Number.isFinite(std) || std < 0)
    throw invalidArgument(fn, 'std', 'a finite number ≥ 0', std);
  return (inputsExpanded) =>
    tf.tidy(() => {
      const list = inputsExpanded instanceof tf.Tensor ? [inputsExpanded] : inputsExpanded;
      const perturbations = list.map((x, k) =>
        normalRows(
          x.shape,
          std,
          rowStreams(seed, (row) => [k, row]),
        ),
      );
      const perturbedInputs = list.map((x, k) => tf.sub(x, perturbations[k]));
      const single = inputsExpanded instanceof tf.Tensor;
      return {
        perturbations: single ? perturbations[0] : perturbations,
        perturbedInputs: single ? perturbedInputs[0] : perturbedInputs,
      };
    });
}
