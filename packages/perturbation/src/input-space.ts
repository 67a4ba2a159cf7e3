import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHook } from '@attrib/core';
import type { Scorer } from './model.js';

/**
 * Scores copies of the batch where `present` (0/1, [copies, 1 or N, ...]) keeps the input and
 * elsewhere takes `replacement` ([N, ...] or [copies, N, ...]). The blend x·p + b·(1 − p) is exact
 * for 0/1 masks, so kept elements equal the input bit for bit.
 */
export function scorePresent(
  scorer: Scorer,
  inputs: tf.Tensor,
  replacement: tf.Tensor,
  present: tf.Tensor,
  copies: number,
  hooks?: readonly ForwardHook[],
): tf.Tensor {
  const x = tf.expandDims(inputs, 0);
  const b = replacement.rank === inputs.rank ? tf.expandDims(replacement, 0) : replacement;
  const blended = tf.add(tf.mul(x, present), tf.mul(b, tf.sub(1, present)));
  const stacked = tf.reshape(tf.broadcastTo(blended, [copies, ...inputs.shape]), [
    copies * inputs.shape[0],
    ...inputs.shape.slice(1),
  ]);
  return scorer.score(stacked, copies, hooks);
}
