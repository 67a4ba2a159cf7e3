import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, type Graph, type Target } from '@attrib/core';
import { repeatTarget } from './approximation-path.js';

/**
 * Completeness gap per sample: `Σ attributions − (f(x)[t] − f(b)[t])`, with the model run once on
 * the stacked batch `[x; b]`.
 */
export function convergenceDelta(
  model: Graph,
  input: tf.Tensor,
  baseline: tf.Tensor,
  target: Target | undefined,
  attributions: tf.Tensor,
  fn: string,
): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = input.shape[0];
    const both = model.forward(tf.concat([input, baseline], 0), { fn }).output;
    const values = selectTarget(both, repeatTarget(target, 2, batch, fn), fn);
    const gap = tf.sub(tf.slice(values, [0], [batch]), tf.slice(values, [batch], [batch]));
    const total = tf.sum(tf.reshape(attributions, [batch, -1]), 1);
    return tf.sub(total, gap) as tf.Tensor1D;
  });
}

/** `{ attributions, delta }`, freeing the attributions (`owned`) if the delta cannot be computed. */
export function withDelta<A, D>(
  attributions: A,
  owned: readonly tf.Tensor[],
  delta: () => D,
): { attributions: A; delta: D } {
  try {
    return { attributions, delta: delta() };
  } catch (error) {
    tf.dispose([...owned]);
    throw error;
  }
}
