import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, resolveBaseline, selectTarget, type Graph, type Target } from '@attrib/core';
import { checkDeepLiftOptions, deepLiftWalk, stackedTargetSeed } from './deep-lift-walk.js';
import { checkInputs } from './relu-rules-walk.js';
import type { AttributionResult, Baselines, TargetOptions } from './types.js';

export interface DeepLiftOptions extends TargetOptions {
  /** Reference input; default 0. */
  readonly baselines?: Baselines;
  /** Multiply the multipliers by `x − b` (default true); false returns the multipliers. */
  readonly multiplyByInputs?: boolean;
  /** Below this |Δin| an activation or pool falls back to its plain gradient (default 1e-10). */
  readonly eps?: number;
  readonly returnConvergenceDelta?: boolean;
}

/** `Σ attributions − (f(x)[t] − f(b)[t])` per sample, from the stacked output [f(x); f(b)]. */
export function convergenceDelta(
  attributions: tf.Tensor,
  stackedOutput: tf.Tensor,
  target: Target | undefined,
  fn: string,
): tf.Tensor {
  return tf.tidy(() => {
    const [fx, fb] = tf.split(stackedOutput, 2, 0);
    const total = tf.sum(tf.reshape(attributions, [attributions.shape[0], -1]), 1);
    return tf.sub(total, tf.sub(selectTarget(fx, target, fn), selectTarget(fb, target, fn)));
  });
}

/**
 * DeepLift with the rescale rule (Shrikumar et al.; Captum `DeepLift`): one forward of [x; b] and one
 * reverse walk where activations pass `Δout/Δin` and max-pools use Captum's rule. Batched.
 */
export function deepLift(model: Graph, inputs: tf.Tensor, options: DeepLiftOptions = {}): AttributionResult {
  const fn = 'deepLift';
  checkInputs(model, inputs, fn);
  checkDeepLiftOptions(options, fn);
  const baseline = resolveBaseline(options.baselines, inputs, fn);
  try {
    assertFinite(baseline, fn, 'baselines');
    return tf.tidy(() => {
      const walk = deepLiftWalk(model, inputs, baseline, {
        seed: stackedTargetSeed(options.target, fn),
        eps: options.eps ?? 1e-10,
        fn,
      });
      const attributions =
        options.multiplyByInputs === false
          ? walk.inputMultipliers
          : tf.mul(tf.sub(inputs, baseline), walk.inputMultipliers);
      if (!options.returnConvergenceDelta) return { attributions };
      return { attributions, delta: convergenceDelta(attributions, walk.output, options.target, fn) };
    });
  } finally {
    baseline.dispose();
  }
}
