import * as tf from '@tensorflow/tfjs-core';
import type { Graph, ProgressCallback, Target } from '@attrib/core';
import { featureRemovalCurve } from './feature-removal.js';

export interface RegionPerturbationOptions {
  readonly attributions: tf.Tensor;
  readonly target?: Target;
  /** The regions (e.g. `patchMask(H, W, 4)`); every element its own region when absent. */
  readonly featureMask?: tf.Tensor;
  readonly regionsPerStep?: number;
  readonly maxSteps?: number;
  /** Removed regions are filled with uniform noise in [low, high) (the input's range by default). */
  readonly noise?: { readonly low?: number; readonly high?: number; readonly seed?: number };
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * Region perturbation (Samek et al. 2017): most relevant regions first, each replaced by uniform
 * noise; AOPC = mean over steps 0..L of f(x)[t] − f(x_k)[t] (higher = more faithful).
 */
export async function regionPerturbation(
  model: Graph,
  inputs: tf.Tensor,
  options: RegionPerturbationOptions,
): Promise<{ curve: tf.Tensor2D; aopc: tf.Tensor1D }> {
  const low = options.noise?.low ?? tf.tidy(() => tf.min(inputs).dataSync()[0]);
  const high = options.noise?.high ?? tf.tidy(() => tf.max(inputs).dataSync()[0]);
  const noise = tf.randomUniform(inputs.shape, low, high, 'float32', options.noise?.seed ?? 0);
  try {
    const { curve, auc } = await featureRemovalCurve(model, inputs, {
      attributions: options.attributions,
      target: options.target,
      featureMask: options.featureMask,
      featuresPerStep: options.regionsPerStep,
      maxSteps: options.maxSteps,
      baselines: noise,
      mode: 'deletion',
      order: 'most-relevant-first',
      perturbationsPerEval: options.perturbationsPerEval,
      onProgress: options.onProgress,
    });
    auc.dispose();
    const aopc = tf.tidy(() => tf.mean(tf.sub(tf.slice(curve, [0, 0], [-1, 1]), curve), 1) as tf.Tensor1D);
    return { curve, aopc };
  } finally {
    noise.dispose();
  }
}
