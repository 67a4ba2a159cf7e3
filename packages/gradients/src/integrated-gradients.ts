import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  convergenceDelta,
  ownResult,
  type AttributionInputs,
  type Graph,
  type PerInput,
} from '@attrib/core';
import { pathSchedule, type ApproximationMethod } from './approximation.js';
import { accumulateAll, sumSteps, walkPath } from './approximation-path.js';
import { explainedGradients, withBaselines, withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type Baselines,
  type BatchingOptions,
  type TargetOptions,
  type DeltaRequested,
  type WithDelta,
} from './types.js';

/** Captum's method names, in camelCase or as Captum spells them. */
export type ApproximationMethodName =
  ApproximationMethod | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid';

export interface PathOptions extends BatchingOptions {
  /** The reference input(s); zero when absent. Per input: a number, the input's shape, or one sample's. */
  readonly baselines?: Baselines | null;
  /** Path points (default 50). */
  readonly nSteps?: number;
  /** Quadrature (default `gausslegendre`). */
  readonly method?: ApproximationMethodName;
}

export interface IntegratedGradientsOptions extends TargetOptions, PathOptions {
  /** Also return `delta = Σ attributions − (f(x)[t] − f(b)[t])` per sample (summed over inputs). */
  readonly returnConvergenceDelta?: boolean;
}

const optionKeys = [...keys.target, ...keys.path, ...keys.delta];

/**
 * Integrated Gradients (Sundararajan et al.): `(x − b) · Σ_k s_k ∂f[t]/∂x (b + α_k (x − b))` for every
 * explained input. All path points of all samples go through as few forward/backward passes as
 * `internalBatchSize` (or the memory budget) allows.
 */
export function integratedGradients<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: IntegratedGradientsOptions & DeltaRequested,
): Promise<WithDelta<AttributionResult<PerInput<I>>>>;
export function integratedGradients<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options?: IntegratedGradientsOptions,
): Promise<AttributionResult<PerInput<I>>>;
export async function integratedGradients<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: IntegratedGradientsOptions = {},
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'integratedGradients';
  const o = checkOptions(fn, options, optionKeys, { booleans: ['returnConvergenceDelta'] });
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const { alphas, stepSizes } = pathSchedule(o, fn);
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      let totals: tf.Tensor[] | undefined;
      try {
        await walkPath(
          { ...o, fn, model, inputs: resolved, baselines, alphas },
          ({ start, end, points, target }) => {
            const grads = explainedGradients(model, points, resolved, { target }, fn);
            const steps = stepSizes.slice(start, end);
            totals = accumulateAll(
              totals,
              grads.map((g) => sumSteps(g, steps, resolved.batch)),
            );
            tf.dispose(grads);
          },
        );
        const attributions = tf.tidy(() =>
          resolved.explained.map((x, k) => tf.mul(tf.sub(x, baselines[k]), totals![k])),
        );
        const delta = o.returnConvergenceDelta
          ? guardDelta(attributions, () =>
              convergenceDelta(
                model,
                resolved.assemble(resolved.explained),
                resolved.assemble(baselines),
                o.target,
                attributions,
                fn,
              ),
            )
          : undefined;
        return ownResult({ attributions: resolved.restore(attributions), ...(delta ? { delta } : {}) });
      } finally {
        tf.dispose(totals ?? []);
      }
    });
  });
}

/** The delta, freeing `owned` (the attributions) when it cannot be computed. */
export function guardDelta<D>(owned: tf.Tensor[], delta: () => D): D {
  try {
    return delta();
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }
}
