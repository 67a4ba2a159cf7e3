import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  chunkRanges,
  invalidArgument,
  shapeMismatch,
  yieldToEventLoop,
  type ProgressCallback,
} from '@attrib/core';
import { numberInRange, positiveInteger } from './checks.js';
import { repeatInterleave } from './infidelity.js';

/**
 * Explains a batch. `sampleIndex[r]` is the original sample behind row r, so per-sample arguments
 * (a target list) can be expanded: `target: sampleIndex.map((i) => targets[i])`.
 */
export type ExplanationFunction = (
  inputs: tf.Tensor,
  context: { readonly sampleIndex: Int32Array },
) => tf.Tensor | Promise<tf.Tensor>;

export interface SensitivityMaxOptions {
  /** Noise is uniform in [−perturbRadius, perturbRadius] (Captum's default perturbation). */
  readonly perturbRadius?: number;
  readonly nPerturbSamples?: number;
  /** Norm of the explanation change: Frobenius (2) or max (Infinity). */
  readonly normOrd?: 'fro' | 'inf';
  readonly seed?: number;
  /** Perturbed samples explained per call (Captum `max_examples_per_batch`). */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * Captum's sensitivity_max (Yeh et al. 2019): the largest relative change of the explanation,
 * ‖e(x + ε) − e(x)‖ / ‖e(x)‖ (‖e(x)‖ = 0 counts as 1), over `nPerturbSamples` uniform perturbations.
 */
export async function sensitivityMax(
  explain: ExplanationFunction,
  inputs: tf.Tensor,
  options: SensitivityMaxOptions = {},
): Promise<{ sensitivity: tf.Tensor1D }> {
  const fn = 'sensitivityMax';
  if (typeof explain !== 'function')
    throw invalidArgument(fn, 'explain', 'a function (inputs, {sampleIndex}) => attributions', explain);
  assertFinite(inputs, fn, 'inputs');
  const radius = numberInRange(fn, 'perturbRadius', options.perturbRadius ?? 0.02, 0, Infinity);
  const n = positiveInteger(fn, 'nPerturbSamples', options.nPerturbSamples, 10);
  const normOrd = options.normOrd ?? 'fro';
  if (normOrd !== 'fro' && normOrd !== 'inf') throw invalidArgument(fn, 'normOrd', `'fro' or 'inf'`, normOrd);
  const batch = inputs.shape[0];
  const norm = (rows: tf.Tensor) =>
    normOrd === 'fro' ? tf.norm(rows, 'euclidean', 1) : tf.max(tf.abs(rows), 1);

  const sampleIndex = Int32Array.from({ length: batch }, (_, i) => i);
  const original = await explain(inputs, { sampleIndex });
  const originalFlat = tf.tidy(() => tf.reshape(original, [batch, -1]));
  original.dispose();
  const originalNorm = tf.tidy(() => {
    const value = norm(originalFlat);
    return tf.where(tf.equal(value, 0), tf.onesLike(value), value);
  });
  const best = new Float32Array(batch).fill(-Infinity);
  try {
    const rows = batch * n;
    const chunks = chunkRanges(rows, options.perturbationsPerEval, fn, 'perturbationsPerEval');
    for (const [index, [start, end]] of chunks.entries()) {
      const rowSamples = Int32Array.from({ length: end - start }, (_, r) => Math.floor((start + r) / n));
      const perturbed = tf.tidy(() => {
        const expanded = tf.slice(repeatInterleave(inputs, n), start, end - start);
        return tf.add(
          expanded,
          tf.randomUniform(expanded.shape, -radius, radius, 'float32', (options.seed ?? 0) * 1000003 + index),
        );
      });
      let explanation: tf.Tensor;
      try {
        explanation = await explain(perturbed, { sampleIndex: rowSamples });
      } finally {
        perturbed.dispose();
      }
      let data: Float32Array;
      try {
        data = tf.tidy(() => {
          if (explanation.size !== (end - start) * originalFlat.shape[1]!) {
            throw shapeMismatch(
              fn,
              'explain(...)',
              `[${end - start}, ...] with the original explanation's size per row`,
              explanation.shape,
            );
          }
          const which = tf.tensor1d(rowSamples, 'int32');
          const change = tf.sub(tf.reshape(explanation, [end - start, -1]), tf.gather(originalFlat, which));
          return tf.div(norm(change), tf.gather(originalNorm, which)).dataSync() as Float32Array;
        });
      } finally {
        explanation.dispose();
      }
      rowSamples.forEach((sample, r) => (best[sample] = Math.max(best[sample], data[r])));
      options.onProgress?.({ done: index + 1, total: chunks.length, stage: 'perturbations' });
      if (index + 1 < chunks.length) await yieldToEventLoop();
    }
  } finally {
    tf.dispose([originalFlat, originalNorm]);
  }
  return { sensitivity: tf.tensor1d(best) };
}
