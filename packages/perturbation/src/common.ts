import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, resolveBaseline, type ForwardHook, type ProgressCallback } from '@attrib/core';

/** Options every perturbation method takes. */
export interface PerturbationOptions {
  /** Perturbed copies stacked into one forward pass (default 1); results do not depend on it. */
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
  /** Forward hooks for every pass of this call (graph models only), e.g. a neuron knock-out. */
  readonly hooks?: readonly ForwardHook[];
}

export interface AttributionResult {
  readonly attributions: tf.Tensor;
}

/** A baseline as an owned tensor of the input's shape: number, [N, ...], [1, ...] or [...]; default 0. */
export function baselineFor(
  baselines: number | tf.Tensor | null | undefined,
  inputs: tf.Tensor,
  fn: string,
  argument = 'baselines',
): tf.Tensor {
  if (baselines instanceof tf.Tensor) assertFinite(baselines, fn, argument);
  return resolveBaseline(baselines, inputs, fn, argument);
}
