import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  completenessGap,
  ownResult,
  resolveBaselines,
  selectTarget,
  type AttributionInputs,
  type Graph,
  type PerInput,
  type ResolvedInputs,
  type Target,
} from '@attrib/core';
import {
  checkDeepLiftOptions,
  deepLiftWalk,
  stackedTargetSeed,
  type DeepLiftLayer,
} from './deep-lift-walk.js';
import { explainedOf, withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type Baselines,
  type DeltaRequested,
  type TargetOptions,
  type WithDelta,
} from './types.js';

export interface DeepLiftOptions extends TargetOptions {
  /** Reference input(s); default 0. */
  readonly baselines?: Baselines;
  /** Multiply the multipliers by `x − b` (default true); false returns the multipliers. */
  readonly multiplyByInputs?: boolean;
  /** Below this |Δin| an activation or pool falls back to its plain gradient (default 1e-10). */
  readonly eps?: number;
  readonly returnConvergenceDelta?: boolean;
}

/** The options every DeepLift method takes, and which of them are booleans. */
export const deepLiftKeys = [...keys.target, 'baselines', 'multiplyByInputs', 'eps'];
export const deepLiftBooleans = ['multiplyByInputs', 'returnConvergenceDelta'];

/** `Σ attributions − (f(x)[t] − f(b)[t])` per sample, from the stacked output [f(x); f(b)]. */
export function stackedDelta(
  attributions: readonly tf.Tensor[],
  stackedOutput: tf.Tensor,
  target: Target | undefined,
  fn: string,
): tf.Tensor {
  return tf.tidy(() => {
    const [fx, fb] = tf.split(stackedOutput, 2, 0);
    return completenessGap(attributions, selectTarget(fx, target, fn), selectTarget(fb, target, fn));
  });
}

/**
 * One DeepLift walk over [x; b] for checked inputs and baselines: the multipliers at every explained
 * input (and at `layer`), the stacked output. Shared by deepLift, layerDeepLift and neuronDeepLift.
 */
export function deepLiftPass(
  graph: Graph,
  inputs: ResolvedInputs<unknown>,
  baselines: readonly tf.Tensor[],
  options: { seed: (output: tf.Tensor) => tf.Tensor; eps?: number; layer?: DeepLiftLayer; fn: string },
) {
  return tf.tidy(() => {
    const stacked = inputs.assemble(
      inputs.explained.map((x, k) => tf.concat([x, baselines[k]], 0)),
      2,
    );
    const walk = deepLiftWalk(graph, stacked, { ...options, eps: options.eps ?? 1e-10 });
    const multipliers = explainedOf(graph, inputs, walk.inputMultipliers);
    return { ...walk, multipliers };
  });
}

/**
 * DeepLift with the rescale rule (Shrikumar et al.; Captum `DeepLift`): one forward of [x; b] and one
 * reverse walk where activations pass `Δout/Δin` and max-pools use Captum's rule. Batched; every
 * explained input gets its attributions.
 */
export function deepLift<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: DeepLiftOptions & DeltaRequested,
): WithDelta<AttributionResult<PerInput<I>>>;
export function deepLift<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options?: DeepLiftOptions,
): AttributionResult<PerInput<I>>;
export function deepLift<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: DeepLiftOptions = {},
): AttributionResult<PerInput<I>> {
  const fn = 'deepLift';
  const o = checkOptions(fn, options, [...deepLiftKeys, ...keys.delta], { booleans: deepLiftBooleans });
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    checkDeepLiftOptions(o, fn);
    const baselines = resolveBaselines(o.baselines, resolved, fn);
    try {
      const { attributions, delta } = tf.tidy(() => {
        const walk = deepLiftPass(model, resolved, baselines, {
          seed: stackedTargetSeed(o.target, fn),
          eps: o.eps,
          fn,
        });
        const attributions =
          o.multiplyByInputs === false
            ? walk.multipliers
            : walk.multipliers.map((m, k) => tf.mul(tf.sub(resolved.explained[k], baselines[k]), m));
        return {
          attributions,
          delta: o.returnConvergenceDelta ? stackedDelta(attributions, walk.output, o.target, fn) : undefined,
        };
      });
      return ownResult({ attributions: resolved.restore(attributions), ...(delta ? { delta } : {}) });
    } finally {
      tf.dispose(baselines);
    }
  });
}
