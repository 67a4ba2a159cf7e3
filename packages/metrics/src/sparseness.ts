import * as tf from '@tensorflow/tfjs-core';
import { requireTensor, perSampleSize } from './checks.js';
import { rowsOf } from './statistics.js';
import { checkFiniteTensor, invalidArgument } from '@attrib/core';

function perSample(fn: string, attributions: tf.Tensor, score: (row: Float64Array) => number): tf.Tensor1D {
  requireTensor(fn, 'attributions', attributions);
  if (attributions.isDisposed)
    throw invalidArgument(fn, 'attributions', 'a live tensor', 'a disposed tensor', 'disposed-tensor');
  checkFiniteTensor(attributions, fn, 'attributions');
  if (attributions.rank < 2 || perSampleSize(attributions) === 0) {
    throw invalidArgument(
      fn,
      'attributions',
      'a batched tensor [N, ...] with at least one value per sample',
      attributions,
    );
  }
  const rows = rowsOf(attributions.dataSync() as Float32Array, attributions.shape[0]);
  return tf.tensor1d(rows.map((row) => score(Float64Array.from(row, Math.abs))));
}

/**
 * Sparseness (Chalasani et al. 2020; Quantus `Sparseness`): the Gini index of |attributions| per
 * sample, in [0, 1 − 1/n]; 1 − 1/n for a one-hot explanation, 0 for a uniform one. All-zero rows give 0.
 */
export function sparseness(attributions: tf.Tensor): tf.Tensor1D {
  return perSample('sparseness', attributions, (row) => {
    row.sort();
    const n = row.length;
    let weighted = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      weighted += (2 * (i + 1) - n - 1) * row[i];
      total += row[i];
    }
    return total === 0 ? 0 : weighted / (n * total);
  });
}

/**
 * Complexity (Bhatt et al. 2020; Quantus `Complexity`): the entropy (nats) of |attributions|
 * normalised to a distribution, per sample; log n for a uniform explanation, 0 for a one-hot one.
 */
export function complexity(attributions: tf.Tensor): tf.Tensor1D {
  return perSample('complexity', attributions, (row) => {
    const total = row.reduce((a, b) => a + b, 0);
    if (total === 0) return 0;
    let entropy = 0;
    for (const v of row) if (v > 0) entropy -= (v / total) * Math.log(v / total);
    return entropy;
  });
}
