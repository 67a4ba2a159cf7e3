import * as tf from '@tensorflow/tfjs-core';

/**
 * Central finite differences of a scalar function, evaluated in float64 on the host from float32
 * evaluations. Slow and literal on purpose: it is the reference the fast paths are checked against.
 */
export function finiteDifferenceGradient(f: (x: tf.Tensor) => number, x: tf.Tensor, h = 1e-3): Float64Array {
  const base = x.dataSync();
  const grad = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[i] += h;
    minus[i] -= h;
    const fp = tf.tidy(() => f(tf.tensor(plus, x.shape)));
    const fm = tf.tidy(() => f(tf.tensor(minus, x.shape)));
    grad[i] = (fp - fm) / (plus[i] - minus[i]);
  }
  return grad;
}
