import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';

/**
 * Which output to explain, per sample: one class index for all, one index per sample, or a function
 * of the output returning one value per sample (shape [N]).
 */
export type Target =
  number | readonly number[] | Int32Array | tf.Tensor1D | ((output: tf.Tensor) => tf.Tensor);

/**
 * Per-sample class indices for `target` (null for a function target). Checks range and count, and
 * that a target is given when the output has more than one column.
 */
export function targetIndices(
  target: Target | undefined,
  outputShape: readonly number[],
  fn: string,
): Int32Array | null {
  if (typeof target === 'function') return null;
  const batch = outputShape[0];
  const classes = outputShape.length >= 2 ? outputShape.slice(1).reduce((a, b) => a * b, 1) : 1;
  if (target === undefined || target === null) {
    if (classes === 1) return new Int32Array(batch);
    throw invalidArgument(
      fn,
      'target',
      `given when the output has ${classes} columns (a class index, one per sample, or a function)`,
      target,
    );
  }
  let indices: Int32Array;
  if (typeof target === 'number') indices = new Int32Array(batch).fill(target);
  else if (target instanceof tf.Tensor) indices = Int32Array.from(target.dataSync());
  else indices = Int32Array.from(target as ArrayLike<number>);
  if (typeof target !== 'number' && indices.length !== batch) {
    throw invalidArgument(fn, 'target', `one index per sample (${batch})`, target);
  }
  const asNumbers =
    typeof target === 'number'
      ? [target]
      : Array.from(target instanceof tf.Tensor ? target.dataSync() : (target as ArrayLike<number>));
  for (const t of asNumbers) {
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw invalidArgument(fn, 'target', `a class index in [0, ${classes})`, t, 'target-out-of-range');
    }
  }
  return indices;
}

/** Float rows with a 1 at each index (tf.oneHot refuses depth 1, which single-output models need). */
function oneHotRows(indices: Int32Array, depth: number): tf.Tensor2D {
  return tf.cast(
    tf.equal(
      tf.tensor2d(indices, [indices.length, 1], 'int32'),
      tf.expandDims(tf.range(0, depth, 1, 'int32'), 0),
    ),
    'float32',
  ) as tf.Tensor2D;
}

/** The per-sample value being explained, shape [N]: the target column of the output. */
export function selectTarget(output: tf.Tensor, target: Target | undefined, fn: string): tf.Tensor1D {
  if (typeof target === 'function') {
    const value = target(output);
    if (value.rank !== 1 || value.shape[0] !== output.shape[0]) {
      throw invalidArgument(
        fn,
        'target',
        `a function returning one value per sample (shape [${output.shape[0]}])`,
        value,
      );
    }
    return value as tf.Tensor1D;
  }
  const indices = targetIndices(target, output.shape, fn)!;
  return tf.tidy(() => {
    if (output.rank === 1) return output as tf.Tensor1D;
    const flat = tf.reshape(output, [output.shape[0], -1]);
    // A one-hot mask keeps the gradient exact (a multiply by 1 or 0) and batches over samples.
    const mask = oneHotRows(indices, flat.shape[1]!);
    return tf.sum(tf.mul(flat, mask), 1) as tf.Tensor1D;
  });
}

/** The gradient seed at the output for `target`: one-hot rows (Zennit's grad_output), shape of `output`. */
export function targetOneHot(output: tf.Tensor, target: Target | undefined, fn: string): tf.Tensor {
  if (typeof target === 'function') {
    return tf.tidy(() => tf.grad((o: tf.Tensor) => tf.sum(selectTarget(o, target, fn)))(output));
  }
  const indices = targetIndices(target, output.shape, fn)!;
  return tf.tidy(() => {
    const classes = output.shape.slice(1).reduce((a, b) => a * b, 1);
    return tf.reshape(oneHotRows(indices, classes), output.shape);
  });
}

/**
 * `target` for `copies` stacked copies of a batch of `batch` samples: an index or a function stays as
 * it is; per-sample indices are repeated copy-major (row k·N + i, like stacked path steps) or
 * sample-major (row i·copies + k, Captum's `repeat_interleave`). Checks count and wholeness here, so a
 * fractional index is an error instead of being truncated.
 */
export function expandTarget(
  target: Target | undefined,
  copies: number,
  batch: number,
  fn: string,
  order: 'copy-major' | 'sample-major' = 'copy-major',
): Target | undefined {
  if (target === undefined || target === null || typeof target === 'function') return target;
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0)
      throw invalidArgument(fn, 'target', 'a whole class index ≥ 0', target, 'target-out-of-range');
    return target;
  }
  if (target instanceof tf.Tensor && target.isDisposed)
    throw invalidArgument(fn, 'target', 'a live tensor', 'a disposed tensor', 'disposed-tensor');
  const isList =
    target instanceof tf.Tensor ? target.rank === 1 : Array.isArray(target) || ArrayBuffer.isView(target);
  if (!isList)
    throw invalidArgument(fn, 'target', 'a class index, one index per sample, or a function', target);
  const indices = Array.from(target instanceof tf.Tensor ? target.dataSync() : (target as ArrayLike<number>));
  if (indices.length !== batch)
    throw invalidArgument(fn, 'target', `one index per sample (${batch})`, target);
  const bad = indices.find((t) => typeof t !== 'number' || !Number.isInteger(t) || t < 0);
  if (bad !== undefined)
    throw invalidArgument(fn, 'target', 'whole class indices ≥ 0', bad, 'target-out-of-range');
  if (copies === 1) return indices;
  const expanded = new Array<number>(indices.length * copies);
  for (let k = 0; k < copies; k++)
    for (let i = 0; i < batch; i++) {
      expanded[order === 'copy-major' ? k * batch + i : i * copies + k] = indices[i];
    }
  return expanded;
}
