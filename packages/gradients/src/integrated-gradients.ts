import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { pathSchedule, type ApproximationMethod } from './approximation.js';
import { checkBaseline, checkInput } from './approximation-input.js';
import { accumulate, sumSteps, walkPath } from './approximation-path.js';
import { convergenceDelta, withDelta } from './integrated-gradients-delta.js';
import type { AttributionResult, Baselines, BatchingOptions, TargetOptions } from './types.js';

/** Captum's method names, in camelCase or as Captum spells them. */
export type ApproximationMethodName =
  ApproximationMethod | 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid';

export interface PathOptions extends BatchingOptions {
  /** The reference input; zero when absent. A number, the input's shape, or one sample's shape. */
  readonly baselines?: Baselines | null;
  /** Path points (default 50). */
  readonly nSteps?: number;
  /** Quadrature (default `gausslegendre`). */
  readonly method?: ApproximationMethodName;
}

export interface IntegratedGradientsOptions extends TargetOptions, PathOptions {
  /** Also return `delta = Σ attributions − (f(x)[t] − f(b)[t])` per sample. */
  readonly returnConvergenceDelta?: boolean;
}

/**
 * Integrated Gradients (Sundararajan et al.): `(x − b) · Σ_k s_k ∂f[t]/∂x (b + α_k (x − b))`. All path
 * points of all samples go through as few forward/backward passes as `internalBatchSize` allows.
 */
export async function integratedGradients(
  model: Graph,
  inputs: tf.Tensor,
  options: IntegratedGradientsOptions = {},
): Promise<AttributionResult> {
  const fn = 'integratedGradients';
  const input = checkInput(model, inputs, fn);
  const { alphas, stepSizes } = pathSchedule(options, fn);
  const batch = input.shape[0];
  const baseline = checkBaseline(options.baselines, input, fn);
  let total: tf.Tensor | undefined;
  try {
    await walkPath({ ...options, fn, input, baseline, alphas }, ({ start, end, points, target }) => {
      const result = gradients(model, points, { target, fn });
      tf.dispose([result.output, result.objective]);
      const [gradient] = result.inputGradients;
      total = accumulate(total, sumSteps(gradient, stepSizes.slice(start, end), batch));
      gradient.dispose();
    });
    const attributions = tf.tidy(() => tf.mul(tf.sub(input, baseline), total!));
    if (!options.returnConvergenceDelta) return { attributions };
    return withDelta(attributions, [attributions], () =>
      convergenceDelta(model, input, baseline, options.target, attributions, fn),
    );
  } finally {
    tf.dispose([baseline, ...(total ? [total] : [])]);
  }
}
