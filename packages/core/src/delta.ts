import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from './graph.js';
import { expandTarget, selectTarget, type Target } from './target.js';

/**
 * The completeness (convergence) gap per sample, `Σ_inputs Σ attributions − (f(x)[t] − f(b)[t])`:
 * shape [N]. Attributions of several inputs (or layers of one method) are summed together.
 */
export function completenessGap(
  attributions: readonly tf.Tensor[],
  fx: tf.Tensor,
  fb: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = fx.shape[0];
    const total = attributions
      .map((a) => tf.sum(tf.reshape(a, [batch, -1]), 1))
      .reduce((sum, t) => tf.add(sum, t));
    return tf.sub(total, tf.sub(fx, fb)) as tf.Tensor1D;
  });
}

/**
 * `completenessGap` with the model run once on the stacked rows [x; b]: `xs` and `bs` are full
 * graph-input lists (additional inputs included) of the same batch.
 */
export function convergenceDelta(
  model: Graph,
  xs: readonly tf.Tensor[],
  bs: readonly tf.Tensor[],
  target: Target | undefined,
  attributions: readonly tf.Tensor[],
  fn: string,
): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = xs[0].shape[0];
    const output = model.forward(
      xs.map((x, k) => tf.concat([x, bs[k]], 0)),
      { fn },
    ).output;
    const values = selectTarget(output, expandTarget(target, 2, batch, fn), fn);
    return completenessGap(attributions, tf.slice(values, [0], [batch]), tf.slice(values, [batch], [batch]));
  });
}
