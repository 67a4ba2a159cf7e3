import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  chunkRanges,
  invalidArgument,
  shapeMismatch,
  yieldToEventLoop,
  type Graph,
  type ProgressCallback,
  type Target,
} from '@attrib/core';
import { expectShape, positiveInteger, requireTensor } from './checks.js';
import { expandedTarget, targetValues } from './target-values.js';

/**
 * Makes perturbations for inputs repeated `nPerturbSamples` times (sample i in rows i·n … i·n+n−1):
 * returns the perturbation `I` and the perturbed input (Captum: `x − I` for a subtractive noise).
 */
export type PerturbFunction = (inputsExpanded: tf.Tensor) => {
  perturbations: tf.Tensor;
  perturbedInputs: tf.Tensor;
};

export interface InfidelityOptions {
  readonly attributions: tf.Tensor;
  readonly target?: Target;
  /** How many perturbations per sample. */
  readonly nPerturbSamples: number;
  /** Either a perturbation function, or the perturbations themselves (`[N·n, ...]`, subtracted from x). */
  readonly perturbFunc?: PerturbFunction;
  readonly perturbations?: tf.Tensor;
  /** Rescale the attributions by the least-squares β first (Captum `normalize`). */
  readonly normalize?: boolean;
  /** Perturbed rows per forward pass (all at once by default). */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * Captum's infidelity (Yeh et al. 2019): the mean squared gap between what the attributions predict
 * for a perturbation, Σ attr ⊙ I, and what the model does, f(x)[t] − f(x − I)[t]. One value per sample.
 */
export async function infidelity(
  model: Graph,
  inputs: tf.Tensor,
  options: InfidelityOptions,
): Promise<{ infidelity: tf.Tensor1D }> {
  const fn = 'infidelity';
  const attributions = requireTensor(fn, 'attributions', options.attributions);
  expectShape(fn, 'attributions', attributions, inputs.shape);
  assertFinite(inputs, fn, 'inputs');
  const n = positiveInteger(fn, 'nPerturbSamples', options.nPerturbSamples);
  if (!options.perturbFunc === !options.perturbations) {
    throw invalidArgument(
      fn,
      'perturbFunc',
      'given, or else perturbations (exactly one of the two)',
      options.perturbFunc ?? options.perturbations,
    );
  }
  const batch = inputs.shape[0];
  const rows = batch * n;
  const expandedShape = [rows, ...inputs.shape.slice(1)];

  const { perturbations, perturbedInputs } = tf.tidy(() => {
    if (options.perturbations) {
      const given = requireTensor(fn, 'perturbations', options.perturbations);
      if (given.shape.join() !== expandedShape.join())
        throw shapeMismatch(
          fn,
          'perturbations',
          `[${expandedShape.join(', ')}] (N·nPerturbSamples rows)`,
          given.shape,
        );
      const expanded = repeatInterleave(inputs, n);
      return { perturbations: tf.clone(given), perturbedInputs: tf.sub(expanded, given) };
    }
    const made = options.perturbFunc!(repeatInterleave(inputs, n));
    expectShape(fn, 'perturbFunc(...).perturbations', made.perturbations, expandedShape);
    expectShape(fn, 'perturbFunc(...).perturbedInputs', made.perturbedInputs, expandedShape);
    return made;
  });

  try {
    const rowTargets = expandedTarget(options.target, model.outputShape(inputs, fn), n, fn);
    const original = targetValues(
      model,
      inputs,
      rowTargets && rowTargets.filter((_, r) => r % n === 0),
      options.target,
      fn,
    );
    // Σ attr ⊙ I per row, on the host in float64 as the reference does.
    const attr = attributions.dataSync();
    const pert = perturbations.dataSync();
    const size = attr.length / batch;
    const predicted = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = Math.floor(r / n) * size;
      let sum = 0;
      for (let j = 0; j < size; j++) sum += attr[base + j] * pert[r * size + j];
      predicted[r] = sum;
    }
    const observed = new Float64Array(rows);
    const chunks = chunkRanges(rows, options.perturbationsPerEval, fn, 'perturbationsPerEval');
    for (const [index, [start, end]] of chunks.entries()) {
      const chunk = tf.slice(perturbedInputs, start, end - start);
      const chunkTargets = rowTargets ? rowTargets.subarray(start, end) : null;
      let values: Float32Array;
      try {
        values = targetValues(model, chunk, chunkTargets, options.target, fn);
      } finally {
        chunk.dispose();
      }
      for (let r = start; r < end; r++) observed[r] = original[Math.floor(r / n)] - values[r - start];
      options.onProgress?.({ done: index + 1, total: chunks.length, stage: 'perturbations' });
      if (index + 1 < chunks.length) await yieldToEventLoop();
    }
    const result = new Float32Array(batch);
    for (let i = 0; i < batch; i++) {
      let beta = 1;
      if (options.normalize) {
        let num = 0;
        let den = 0;
        for (let r = i * n; r < (i + 1) * n; r++) {
          num += predicted[r] * observed[r];
          den += predicted[r] * predicted[r];
        }
        beta = den === 0 ? 0 : num / den;
      }
      let sum = 0;
      for (let r = i * n; r < (i + 1) * n; r++) sum += (beta * predicted[r] - observed[r]) ** 2;
      result[i] = sum / n;
    }
    return { infidelity: tf.tensor1d(result) };
  } finally {
    tf.dispose([perturbations, perturbedInputs]);
  }
}

/** Each sample repeated `n` times in consecutive rows (torch.repeat_interleave on axis 0). */
export function repeatInterleave(x: tf.Tensor, n: number): tf.Tensor {
  return tf.tidy(() => {
    const unit = x.shape.slice(1);
    // A broadcasting add: tf.tile's wasm kernel is very slow.
    const repeated = tf.add(tf.expandDims(x, 1), tf.zeros([1, n, ...unit.map(() => 1)]));
    return tf.reshape(repeated, [x.shape[0] * n, ...unit]);
  });
}

/** Gaussian noise perturbations `I ~ N(0, std²)` (seeded), perturbed input `x − I`. */
export function gaussianPerturbation({
  std = 0.1,
  seed = 0,
}: { std?: number; seed?: number } = {}): PerturbFunction {
  let call = 0;
  return (inputsExpanded) =>
    tf.tidy(() => {
      const perturbations = tf.randomNormal(inputsExpanded.shape, 0, std, 'float32', seed + call++);
      return { perturbations, perturbedInputs: tf.sub(inputsExpanded, perturbations) };
    });
}
