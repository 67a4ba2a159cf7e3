import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, resolveBaseline, type Graph, type Target } from '@attrib/core';
import { expectShape, numberInRange, requireTensor } from './checks.js';
import { expandedTarget, targetValues } from './target-values.js';

export interface CompletenessOptions {
  readonly attributions: tf.Tensor;
  readonly target?: Target;
  /** The reference input the attributions are relative to (0 by default). */
  readonly baselines?: number | tf.Tensor;
  /** `|delta| ≤ atol + rtol·|f(x) − f(baseline)|` counts as complete. */
  readonly atol?: number;
  readonly rtol?: number;
}

export interface CompletenessResult {
  /** Σ attributions − (f(x)[t] − f(baseline)[t]) per sample. */
  readonly delta: tf.Tensor1D;
  /** Per sample: whether |delta| is within tolerance. */
  readonly complete: boolean[];
  /** Every sample complete. */
  readonly holds: boolean;
}

/**
 * Completeness (summation to delta): attributions of a path method should add up to the change of the
 * target output between the baseline and the input.
 */
export function completeness(
  model: Graph,
  inputs: tf.Tensor,
  options: CompletenessOptions,
): CompletenessResult {
  const fn = 'completeness';
  const attributions = requireTensor(fn, 'attributions', options.attributions);
  expectShape(fn, 'attributions', attributions, inputs.shape);
  assertFinite(inputs, fn, 'inputs');
  const atol = numberInRange(fn, 'atol', options.atol ?? 1e-4, 0, Infinity);
  const rtol = numberInRange(fn, 'rtol', options.rtol ?? 1e-3, 0, Infinity);
  const baseline = resolveBaseline(options.baselines, inputs, fn);
  try {
    const rowTargets = expandedTarget(options.target, model.outputShape(inputs, fn), 1, fn);
    const atInput = targetValues(model, inputs, rowTargets, options.target, fn);
    const atBaseline = targetValues(model, baseline, rowTargets, options.target, fn);
    const sums = tf.tidy(() => tf.sum(tf.reshape(attributions, [inputs.shape[0], -1]), 1));
    const sumData = sums.dataSync();
    sums.dispose();
    const delta = new Float32Array(inputs.shape[0]);
    const complete = Array.from(delta, (_, i) => {
      const change = atInput[i] - atBaseline[i];
      delta[i] = sumData[i] - change;
      return Math.abs(delta[i]) <= atol + rtol * Math.abs(change);
    });
    return { delta: tf.tensor1d(delta), complete, holds: complete.every(Boolean) };
  } finally {
    baseline.dispose();
  }
}
