import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  invalidArgument,
  ownResult,
  resolveModelInputs,
  rowStreams,
  uniformRows,
  type AttributionInputs,
  type Disposable,
  type FeatureMaskInput,
  type Graph,
  type ProgressCallback,
  type Target,
} from '@attrib/core';
import { positiveInteger } from './checks.js';
import { removalCurve } from './feature-removal.js';

export interface RegionPerturbationOptions {
  /** Attributions in the structure of the inputs. */
  readonly attributions: AttributionInputs;
  readonly target?: Target;
  /** The regions (e.g. `patchMask(H, W, 4)`; core's `featureMask`); every element its own region when absent. */
  readonly featureMask?: FeatureMaskInput;
  readonly regionsPerStep?: number;
  readonly maxSteps?: number;
  /** Removed regions are filled with uniform noise in [low, high) (each input's range by default). */
  readonly noise?: { readonly low?: number; readonly high?: number; readonly seed?: number };
  readonly perturbationsPerEval?: number;
  /** Bytes one pass may hold when `perturbationsPerEval` is not given. */
  readonly memoryBudget?: number;
  readonly onProgress?: ProgressCallback;
  readonly additionalInputs?: AttributionInputs | null;
}

const FN = 'regionPerturbation';
const KNOWN = [
  'attributions',
  'target',
  'featureMask',
  'regionsPerStep',
  'maxSteps',
  'noise',
  'perturbationsPerEval',
  'memoryBudget',
  'onProgress',
  'additionalInputs',
];

/**
 * Region perturbation (Samek et al. 2017): most relevant regions first, each replaced by uniform
 * noise; AOPC = mean over steps 0..L of f(x)[t] − f(x_k)[t] (higher = more faithful).
 */
export async function regionPerturbation(
  model: Graph,
  inputs: AttributionInputs,
  rawOptions: RegionPerturbationOptions,
): Promise<{ curve: tf.Tensor2D; aopc: tf.Tensor1D } & Disposable> {
  const options = checkOptions(FN, rawOptions, KNOWN);
  positiveInteger(FN, 'regionsPerStep', options.regionsPerStep, 1);
  const noiseOptions = checkOptions(FN, options.noise, ['low', 'high', 'seed']);
  for (const key of ['low', 'high'] as const) {
    const value = noiseOptions[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      throw invalidArgument(FN, `noise.${key}`, 'a finite number', value);
  }
  const resolved = resolveModelInputs(model, inputs, { fn: FN, additionalInputs: options.additionalInputs });
  const seed = checkSeed(FN, noiseOptions.seed, 'noise.seed');
  const noise = tf.tidy(() => {
    const explained = resolved.explained;
    const batch = explained[0].shape[0];
    const widths = explained.map((x) => x.size / batch);
    // One stream per sample, drawn over all inputs' features in order and split: a sample's noise does
    // not depend on the batch around it, and several inputs get the noise of one tensor packing them.
    const unit = tf.split(
      uniformRows(
        [batch, widths.reduce((a, b) => a + b, 0)],
        rowStreams(seed, (row) => [row]),
      ),
      widths,
      1,
    );
    return explained.map((x, k) => {
      const low = noiseOptions.low ?? tf.min(x).dataSync()[0];
      const high = noiseOptions.high ?? tf.max(x).dataSync()[0];
      return tf.add(tf.mul(tf.reshape(unit[k], x.shape), high - low), low);
    });
  });
  resolved.dispose();
  try {
    const { curve, auc } = await removalCurve(
      model,
      inputs,
      {
        attributions: options.attributions,
        target: options.target,
        featureMask: options.featureMask,
        featuresPerStep: options.regionsPerStep,
        maxSteps: options.maxSteps,
        baselines: noise,
        mode: 'deletion',
        order: 'most-relevant-first',
        perturbationsPerEval: options.perturbationsPerEval,
        memoryBudget: options.memoryBudget,
        onProgress: options.onProgress,
        additionalInputs: options.additionalInputs,
      },
      FN,
    );
    auc.dispose();
    const aopc = tf.tidy(() => tf.mean(tf.sub(tf.slice(curve, [0, 0], [-1, 1]), curve), 1) as tf.Tensor1D);
    return ownResult({ curve, aopc });
  } finally {
    tf.dispose(noise);
  }
}
