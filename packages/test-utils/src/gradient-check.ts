import * as tf from '@tensorflow/tfjs-core';
import { expectTensorsClose } from './expect-tensors-close.js';
import { finiteDifferenceGradient } from './finite-difference.js';
import { randomTensor } from './random.js';

export interface GradientCheckOptions {
  /** Central-difference step (default 1e-2: float32 evaluations, so roundoff dominates below it). */
  readonly h?: number;
  readonly atol?: number;
  readonly rtol?: number;
}

/**
 * Checks the gradient of `Σ R ⊙ f(xs)` (R random, fixed) with respect to every float32 entry of `xs`
 * (inputs and parameters alike; int32 entries such as token ids are held fixed) against central finite
 * differences of the same objective. `f` is a function of all of `xs`, so a parameter passed through it
 * is checked like an input.
 */
export function expectGradientsMatchFiniteDifferences(
  f: (xs: readonly tf.Tensor[]) => tf.Tensor,
  xs: readonly tf.Tensor[],
  { h = 1e-2, atol = 2e-3, rtol = 1e-3 }: GradientCheckOptions = {},
): void {
  tf.tidy(() => {
    const weights = randomTensor(f(xs).shape, 97);
    const objective = (all: readonly tf.Tensor[]) => tf.sum(tf.mul(f(all), weights));
    const floats = xs.map((x, i) => i).filter((i) => xs[i]!.dtype === 'float32');
    const replaced = (i: number, v: tf.Tensor) => xs.map((x, j) => (j === i ? v : x));
    const grads = tf.grads((...args: tf.Tensor[]) =>
      objective(xs.map((x, j) => (floats.includes(j) ? args[floats.indexOf(j)]! : x))),
    )(floats.map((i) => xs[i]!));
    floats.forEach((i, k) => {
      const fd = finiteDifferenceGradient((v) => objective(replaced(i, v)).dataSync()[0]!, xs[i]!, h);
      try {
        expectTensorsClose(grads[k]!, fd, { atol, rtol });
      } catch (error) {
        throw new Error(`gradient with respect to xs[${i}]: ${(error as Error).message}`);
      }
    });
  });
}

/**
 * Second order: `g(s) = Σ M ⊙ ∂/∂x₀ Σ R ⊙ f(s·xs)²` (every float entry scaled by s, M and R random),
 * differentiated in s by tf.grad through the inner gradient, against a central difference in s. Fails
 * when the backward pass itself is not differentiable (tfjs has no gradient for some kernels that its
 * own gradients use) or differentiates wrongly.
 */
export function expectSecondOrderMatchesFiniteDifferences(
  f: (xs: readonly tf.Tensor[]) => tf.Tensor,
  xs: readonly tf.Tensor[],
  { h = 1e-2, atol = 2e-3, rtol = 1e-3 }: GradientCheckOptions = {},
): void {
  tf.tidy(() => {
    const weights = randomTensor(f(xs).shape, 98);
    const first = xs.findIndex((x) => x.dtype === 'float32');
    const mask = randomTensor(xs[first]!.shape, 99);
    const g = (s: tf.Tensor) => {
      const scaled = (v: tf.Tensor) =>
        xs.map((x, j) => (j === first ? tf.mul(v, s) : x.dtype === 'float32' ? tf.mul(x, s) : x));
      const inner = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(f(scaled(v))), weights)))(xs[first]!);
      return tf.sum(tf.mul(inner, mask));
    };
    const s0 = 1.2;
    const analytic = tf.grad(g)(tf.scalar(s0));
    const fd = (g(tf.scalar(s0 + h)).dataSync()[0]! - g(tf.scalar(s0 - h)).dataSync()[0]!) / (2 * h);
    expectTensorsClose(analytic, fd, { atol, rtol });
  });
}
