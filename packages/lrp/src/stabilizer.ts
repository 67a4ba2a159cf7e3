import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '@attrib/core';

/**
 * How a denominator is kept away from zero: a number ε gives Zennit's `z + ε·sign(z)` (sign(0) = +1);
 * `{ epsilon, clip: true }` gives `sign(z)·max(|z|, ε)`, which leaves large |z| exactly untouched.
 */
export type Stabilizer = number | { readonly epsilon: number; readonly clip?: boolean };

/**
 * sign(z) with sign(0) = +1, so a zero denominator never stays zero. Built from `step` (not a
 * comparison) because step has a (zero) gradient, so `tf.grad` can run through a whole explanation.
 */
function signPlus(z: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.mul(2, tf.step(tf.neg(z))));
}

/** Checks a stabilizer option once, when a rule is made, so a bad value fails early and by name. */
export function checkStabilizer(value: Stabilizer, fn: string, argument: string): Stabilizer {
  const epsilon = typeof value === 'number' ? value : value?.epsilon;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw invalidArgument(fn, argument, 'a finite number ≥ 0 or { epsilon, clip }', value);
  }
  return value;
}

/** `z` stabilised as `stabilizer` says (differentiable in z). */
export function stabilize(z: tf.Tensor, stabilizer: Stabilizer): tf.Tensor {
  const epsilon = typeof stabilizer === 'number' ? stabilizer : stabilizer.epsilon;
  if (typeof stabilizer !== 'number' && stabilizer.clip)
    return tf.mul(signPlus(z), tf.maximum(tf.abs(z), epsilon));
  return tf.add(z, tf.mul(signPlus(z), epsilon));
}
