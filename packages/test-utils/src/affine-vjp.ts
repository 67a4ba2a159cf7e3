import * as tf from '@tensorflow/tfjs-core';

/**
 * The vector–Jacobian product `dyᵀ·∂f/∂x` of an affine map `f` (a dense or conv layer without its
 * nonlinearity), from forward passes only: the Jacobian's column for input entry k is f(e_k) − f(0), so
 * dx[n, k] = Σ dy[n] ⊙ (f(e_k) − f(0)). A reference for backward code (input gradients, transposed
 * convolutions) that uses none of tfjs's backward kernels or gradient registrations. `sampleShape` is
 * one sample's input shape; `dy` is [N, ...f's output sample shape]; the result is [N, ...sampleShape].
 */
export function affineVjp(
  f: (x: tf.Tensor) => tf.Tensor,
  sampleShape: readonly number[],
  dy: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const size = sampleShape.reduce((a, b) => a * b, 1);
    const basis = tf.reshape(tf.eye(size), [size, ...sampleShape]);
    const columns = tf.sub(f(basis), f(tf.zeros([1, ...sampleShape])));
    const flatDy = tf.reshape(dy, [dy.shape[0], -1]);
    return tf.reshape(tf.matMul(flatDy, tf.reshape(columns, [size, -1]), false, true), [
      dy.shape[0],
      ...sampleShape,
    ]);
  });
}
