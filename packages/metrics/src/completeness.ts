import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  completenessGap,
  ownResult,
  type AttributionInputs,
  type Disposable,
  type Graph,
} from '@attrib/core';
import { numberInRange } from './checks.js';
import { inputMetric, type InputMetricOptions } from './metric-inputs.js';

export interface CompletenessOptions extends Omit<InputMetricOptions, 'featureMask'> {
  /** Attributions in the structure of the inputs (summed over every explained input). */
  readonly attributions: AttributionInputs;
  /** `|delta| ≤ atol + rtol·|f(x) − f(baseline)|` counts as complete. */
  readonly atol?: number;
  readonly rtol?: number;
}

export interface CompletenessResult extends Disposable {
  /** Σ attributions − (f(x)[t] − f(baseline)[t]) per sample. */
  readonly delta: tf.Tensor1D;
  /** Per sample: whether |delta| is within tolerance. */
  readonly complete: boolean[];
  /** Every sample complete. */
  readonly holds: boolean;
}

const FN = 'completeness';
const KNOWN = ['attributions', 'target', 'baselines', 'atol', 'rtol', 'additionalInputs'];

/**
 * Completeness (summation to delta): attributions of a path method should add up to the change of the
 * target output between the baseline and the input (core's `completenessGap`).
 */
export function completeness(
  model: Graph,
  inputs: AttributionInputs,
  rawOptions: CompletenessOptions,
): CompletenessResult {
  const options = checkOptions(FN, rawOptions, KNOWN);
  const atol = numberInRange(FN, 'atol', options.atol ?? 1e-4, 0, Infinity);
  const rtol = numberInRange(FN, 'rtol', options.rtol ?? 1e-3, 0, Infinity);
  const metric = inputMetric(model, inputs, options, FN);
  try {
    const { batch } = metric.inputs;
    const identity = Int32Array.from({ length: batch }, (_, i) => i);
    const [delta, change] = tf.tidy(() => {
      const fx = tf.tensor1d(Float32Array.from(metric.scorer.reference));
      const fb = metric.scorer.score(metric.baselines, identity);
      return [completenessGap(metric.attributions, fx, fb), tf.sub(fx, fb)];
    });
    const gaps = delta.dataSync();
    const changes = change.dataSync();
    change.dispose();
    const complete = Array.from(gaps, (gap, i) => Math.abs(gap) <= atol + rtol * Math.abs(changes[i]));
    return ownResult({ delta: delta as tf.Tensor1D, complete, holds: complete.every(Boolean) });
  } finally {
    metric.dispose();
  }
}
