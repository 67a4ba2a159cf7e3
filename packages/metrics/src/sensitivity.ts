import * as tf from '@tensorflow/tfjs-core';
import {
  checkFiniteTensor,
  checkOptions,
  checkSeed,
  forEachChunk,
  invalidArgument,
  ownResult,
  repeatRows,
  rowStreams,
  shapeMismatch,
  uniformRows,
  type Disposable,
  type ProgressCallback,
} from '@attrib/core';
import { numberInRange, positiveInteger } from './checks.js';

/**
 * Explains a batch (one tensor, or a list for a model with several explained inputs; attributions in
 * the same structure). `sampleIndex[r]` is the original sample behind row r, so per-sample arguments
 * (a target list) can be expanded: `target: sampleIndex.map((i) => targets[i])`.
 */
export type ExplanationFunction<X extends tf.Tensor | tf.Tensor[] = tf.Tensor> = (
  inputs: X,
  context: { readonly sampleIndex: Int32Array },
) => tf.Tensor | tf.Tensor[] | Promise<tf.Tensor | tf.Tensor[]>;

export interface SensitivityMaxOptions {
  /** Noise is uniform in [−perturbRadius, perturbRadius] (Captum's default perturbation). */
  readonly perturbRadius?: number;
  readonly nPerturbSamples?: number;
  /** Norm of the explanation change: Frobenius (2) or max (Infinity). */
  readonly normOrd?: 'fro' | 'inf';
  readonly seed?: number;
  /** Perturbed samples explained per call (Captum `max_examples_per_batch`); default all at once. */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

const FN = 'sensitivityMax';
const KNOWN = ['perturbRadius', 'nPerturbSamples', 'normOrd', 'seed', 'perturbationsPerEval', 'onProgress'];

/** The inputs as a checked list: live, finite, non-empty, one batch size. */
function checkInputs(inputs: unknown): tf.Tensor[] {
  const list =
    inputs instanceof tf.Tensor ? [inputs] : Array.isArray(inputs) && inputs.length > 0 ? inputs : null;
  if (!list) throw invalidArgument(FN, 'inputs', 'a tensor or a list of tensors', inputs);
  return list.map((x, k) => {
    const name = list.length === 1 ? 'inputs' : `inputs[${k}]`;
    if (!(x instanceof tf.Tensor)) throw invalidArgument(FN, name, 'a tensor', x);
    if (x.isDisposed)
      throw invalidArgument(FN, name, 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    if (x.rank === 0 || x.shape[0] === 0)
      throw invalidArgument(FN, name, 'a batch of at least one sample', x, 'empty-batch');
    if (x.shape[0] !== (list[0] as tf.Tensor).shape[0])
      throw shapeMismatch(FN, name, `${(list[0] as tf.Tensor).shape[0]} samples on axis 0`, x.shape);
    checkFiniteTensor(x, FN, name);
    return x;
  });
}

/** An explanation (tensor or list) as one row per sample, [rows, Σ sizes]; frees the explanation. */
function flatRows(explanation: unknown, rows: number, width: number | undefined): tf.Tensor2D {
  const list =
    explanation instanceof tf.Tensor ? [explanation] : Array.isArray(explanation) ? explanation : null;
  if (!list || list.some((t) => !(t instanceof tf.Tensor)))
    throw invalidArgument(FN, 'explain', 'a function returning a tensor or a list of tensors', explanation);
  try {
    return tf.tidy(() => {
      const flat = tf.concat(
        (list as tf.Tensor[]).map((t) => {
          if (t.shape[0] !== rows)
            throw shapeMismatch(FN, 'explain(...)', `[${rows}, ...] (one row per perturbed sample)`, t.shape);
          return tf.reshape(t, [rows, -1]);
        }),
        1,
      ) as tf.Tensor2D;
      if (width !== undefined && flat.shape[1] !== width)
        throw shapeMismatch(
          FN,
          'explain(...)',
          `[${rows}, ...] with the original explanation's size per row`,
          flat.shape,
        );
      return flat;
    });
  } finally {
    tf.dispose(list as tf.Tensor[]);
  }
}

/**
 * Captum's sensitivity_max (Yeh et al. 2019): the largest relative change of the explanation,
 * ‖e(x + ε) − e(x)‖ / ‖e(x)‖ (‖e(x)‖ = 0 counts as 1), over `nPerturbSamples` uniform perturbations.
 */
export async function sensitivityMax<X extends tf.Tensor | tf.Tensor[]>(
  explain: ExplanationFunction<X>,
  inputs: X,
  rawOptions?: SensitivityMaxOptions,
): Promise<{ sensitivity: tf.Tensor1D } & Disposable> {
  if (typeof explain !== 'function')
    throw invalidArgument(FN, 'explain', 'a function (inputs, {sampleIndex}) => attributions', explain);
  const options = checkOptions(FN, rawOptions, KNOWN);
  const list = checkInputs(inputs);
  const single = inputs instanceof tf.Tensor;
  const radius = numberInRange(FN, 'perturbRadius', options.perturbRadius ?? 0.02, 0, Infinity);
  const n = positiveInteger(FN, 'nPerturbSamples', options.nPerturbSamples, 10);
  const normOrd = options.normOrd ?? 'fro';
  if (normOrd !== 'fro' && normOrd !== 'inf') throw invalidArgument(FN, 'normOrd', `'fro' or 'inf'`, normOrd);
  const seed = checkSeed(FN, options.seed);
  const batch = list[0].shape[0];
  const rows = batch * n;
  const perEval = positiveInteger(FN, 'perturbationsPerEval', options.perturbationsPerEval, rows);
  const norm = (r: tf.Tensor) => (normOrd === 'fro' ? tf.norm(r, 'euclidean', 1) : tf.max(tf.abs(r), 1));

  const sampleIndex = Int32Array.from({ length: batch }, (_, i) => i);
  const originalFlat = flatRows(
    await explain((single ? list[0] : list) as X, { sampleIndex }),
    batch,
    undefined,
  );
  const originalNorm = tf.tidy(() => {
    const value = norm(originalFlat);
    return tf.where(tf.equal(value, 0), tf.onesLike(value), value);
  });
  const best = new Float32Array(batch).fill(-Infinity);
  try {
    await forEachChunk(
      rows,
      perEval,
      { fn: FN, onProgress: options.onProgress, stage: 'perturbations' },
      async (start, end) => {
        const rowSamples = Int32Array.from({ length: end - start }, (_, r) => Math.floor((start + r) / n));
        // One stream per (sample, perturbation), drawn over all inputs' features in order and split: the
        // noise depends on neither perturbationsPerEval nor the batch size, and several inputs get the
        // same noise as one tensor packing them (flattened, in order).
        const perturbed = tf.tidy(() => {
          const streams = rowStreams(seed, (r) => [Math.floor((start + r) / n), (start + r) % n]);
          const widths = list.map((x) => x.size / batch);
          const noise = tf.split(
            uniformRows([end - start, widths.reduce((a, b) => a + b, 0)], streams, -radius, radius),
            widths,
            1,
          );
          return list.map((x, k) => {
            const expanded = tf.slice(repeatRows(x, n, 'sample-major'), start, end - start);
            return tf.add(expanded, tf.reshape(noise[k], expanded.shape));
          });
        });
        let explanation: tf.Tensor2D;
        try {
          explanation = flatRows(
            await explain((single ? perturbed[0] : perturbed) as X, { sampleIndex: rowSamples }),
            end - start,
            originalFlat.shape[1],
          );
        } finally {
          tf.dispose(perturbed);
        }
        const data = tf.tidy(() => {
          const which = tf.tensor1d(rowSamples, 'int32');
          const change = tf.sub(explanation, tf.gather(originalFlat, which));
          return tf.div(norm(change), tf.gather(originalNorm, which)).dataSync() as Float32Array;
        });
        explanation.dispose();
        rowSamples.forEach((sample, r) => (best[sample] = Math.max(best[sample], data[r])));
      },
    );
  } finally {
    tf.dispose([originalFlat, originalNorm]);
  }
  return ownResult({ sensitivity: tf.tensor1d(best) });
}
