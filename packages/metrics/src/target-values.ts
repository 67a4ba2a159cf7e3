import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, targetIndices, type ForwardHook, type Graph, type Target } from '@attrib/core';

/**
 * The target's per-row indices for a batch of `rows` rows in which each original sample occupies
 * `repeat` consecutive rows (Captum's repeat_interleave). `null` when the target is a function.
 */
export function expandedTarget(
  target: Target | undefined,
  outputShape: readonly number[],
  repeat: number,
  fn: string,
): Int32Array | null {
  const indices = targetIndices(target, outputShape, fn);
  if (!indices) return null;
  const rows = new Int32Array(indices.length * repeat);
  for (let i = 0; i < indices.length; i++) rows.fill(indices[i], i * repeat, (i + 1) * repeat);
  return rows;
}

/**
 * Runs the model on `inputs` and returns the target value of every row (host, float32). `rowTargets`
 * are per-row class indices; a function target is applied to the output as is.
 */
export function targetValues(
  graph: Graph,
  inputs: tf.Tensor,
  rowTargets: Int32Array | null,
  target: Target | undefined,
  fn: string,
  hooks: readonly ForwardHook[] = [],
): Float32Array {
  const values = tf.tidy(() => {
    const output = graph.forward(inputs, { hooks, fn }).output;
    return selectTarget(output, rowTargets ?? target, fn);
  });
  const data = values.dataSync() as Float32Array;
  values.dispose();
  return data;
}
