import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from './errors.js';

/**
 * A baseline for `input`: a number (broadcast), a tensor of the input's shape, or one sample's shape
 * (broadcast over the batch). `undefined` is zero. Returns a new tensor the caller owns.
 */
export function resolveBaseline(
  baseline: number | tf.Tensor | undefined | null,
  input: tf.Tensor,
  fn: string,
  argument = 'baselines',
): tf.Tensor {
  if (baseline === undefined || baseline === null) return tf.zerosLike(input);
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline))
      throw invalidArgument(fn, argument, 'a finite number or a tensor', baseline);
    return tf.fill(input.shape, baseline);
  }
  if (!(baseline instanceof tf.Tensor)) throw invalidArgument(fn, argument, 'a number or a tensor', baseline);
  const same = baseline.shape.join() === input.shape.join();
  const perSample =
    baseline.shape.join() === input.shape.slice(1).join() ||
    (baseline.shape[0] === 1 && baseline.shape.slice(1).join() === input.shape.slice(1).join());
  if (!same && !perSample) {
    throw shapeMismatch(
      fn,
      argument,
      `[${input.shape}] (the input's), [1, ${input.shape.slice(1)}] or [${input.shape.slice(1)}]`,
      baseline.shape,
    );
  }
  return same
    ? tf.clone(baseline)
    : tf.tidy(() => tf.broadcastTo(tf.reshape(baseline, [1, ...input.shape.slice(1)]), input.shape));
}
