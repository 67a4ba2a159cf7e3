import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  evaluateMasked,
  groupSums,
  invalidArgument,
  ownResult,
  rowKeepMasks,
  type AttributionInputs,
  type Disposable,
  type Graph,
  type ProgressCallback,
} from '@attrib/core';
import { positiveInteger } from './checks.js';
import { inputMetric, type InputMetricOptions } from './metric-inputs.js';
import { trapezoid } from './statistics.js';

export interface FeatureRemovalOptions extends InputMetricOptions {
  /** Attributions in the structure of the inputs (a tensor, a list or a record per explained input). */
  readonly attributions: AttributionInputs;
  /** `deletion`: start from the input and replace features by the baseline; `insertion`: the reverse. */
  readonly mode?: 'deletion' | 'insertion';
  /** Which features go first. */
  readonly order?: 'most-relevant-first' | 'least-relevant-first';
  readonly featuresPerStep?: number;
  /** Stop after this many steps (all features by default). */
  readonly maxSteps?: number;
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

const FEATURE_REMOVAL_OPTIONS = [
  'attributions',
  'target',
  'mode',
  'order',
  'featureMask',
  'featuresPerStep',
  'maxSteps',
  'baselines',
  'perturbationsPerEval',
  'memoryBudget',
  'onProgress',
  'additionalInputs',
] as const;

export interface FeatureRemovalResult extends Disposable {
  /** Share of features removed (deletion) or inserted (insertion) at each step, from 0. */
  readonly fractions: Float32Array;
  /** Target value after each step, [N, steps + 1]. */
  readonly curve: tf.Tensor2D;
  /** Area under each sample's curve over `fractions` (trapezoid), [N]. */
  readonly auc: tf.Tensor1D;
}

/**
 * Deletion and insertion curves (Petsiuk et al. 2018, RISE; Samek et al. 2017): features (groups of
 * `featureMask`, core's meaning, spanning inputs when ids repeat) are removed from (or inserted into)
 * the input in the order of their relevance, `featuresPerStep` at a time, and the target output is
 * recorded after each step. Every step of every sample is one row of core's masked evaluation.
 */
export async function featureRemovalCurve(
  model: Graph,
  inputs: AttributionInputs,
  options: FeatureRemovalOptions,
): Promise<FeatureRemovalResult> {
  const fn = 'featureRemovalCurve';
  return removalCurve(model, inputs, checkOptions(fn, options, FEATURE_REMOVAL_OPTIONS), fn);
}

/** The curve, with options already checked by the caller (`fn` names it in errors). */
export async function removalCurve(
  model: Graph,
  inputs: AttributionInputs,
  options: FeatureRemovalOptions,
  fn: string,
): Promise<FeatureRemovalResult> {
  const mode = options.mode ?? 'deletion';
  const order = options.order ?? 'most-relevant-first';
  if (mode !== 'deletion' && mode !== 'insertion')
    throw invalidArgument(fn, 'mode', `'deletion' or 'insertion'`, mode);
  if (order !== 'most-relevant-first' && order !== 'least-relevant-first')
    throw invalidArgument(fn, 'order', `'most-relevant-first' or 'least-relevant-first'`, order);
  const perStep = positiveInteger(fn, 'featuresPerStep', options.featuresPerStep, 1);
  const metric = inputMetric(model, inputs, options, fn, { mask: true });
  try {
    const mask = metric.mask!;
    const { groups } = mask;
    const allSteps = Math.ceil(groups / perStep);
    const steps = Math.min(allSteps, positiveInteger(fn, 'maxSteps', options.maxSteps, allSteps));
    const { batch } = metric.inputs;
    // rank[i][g]: position of group g in sample i's removal order (stable: ties by index).
    const ranks = groupSums(mask, metric.attributions, metric.shapes).map((relevance) => {
      const sign = order === 'most-relevant-first' ? -1 : 1;
      const sorted = Array.from({ length: groups }, (_, g) => g).sort(
        (a, b) => sign * (relevance[a] - relevance[b]) || a - b,
      );
      const rank = new Int32Array(groups);
      sorted.forEach((g, position) => (rank[g] = position));
      return rank;
    });
    const sampleOf = (row: number) => Math.floor(row / (steps + 1));
    const values = await evaluateMasked(metric.scorer, metric.baselines, {
      total: batch * (steps + 1),
      sampleOf,
      perturbationsPerEval: options.perturbationsPerEval,
      memoryBudget: options.memoryBudget,
      onProgress: options.onProgress,
      stage: mode,
      keep(start, end) {
        const flags = new Float32Array((end - start) * groups);
        const samples = Int32Array.from({ length: end - start }, (_, r) => sampleOf(start + r));
        for (let row = start; row < end; row++) {
          const rank = ranks[sampleOf(row)];
          const changed = Math.min((row % (steps + 1)) * perStep, groups);
          for (let g = 0; g < groups; g++) {
            const isChanged = rank[g] < changed;
            flags[(row - start) * groups + g] = (mode === 'deletion') !== isChanged ? 1 : 0;
          }
        }
        return rowKeepMasks(mask, flags, samples);
      },
    });
    const fractions = Float32Array.from(
      { length: steps + 1 },
      (_, s) => Math.min(s * perStep, groups) / groups,
    );
    const auc = Float32Array.from({ length: batch }, (_, i) =>
      trapezoid(fractions, values.subarray(i * (steps + 1), (i + 1) * (steps + 1))),
    );
    return ownResult({
      fractions,
      curve: tf.tensor2d(Float32Array.from(values), [batch, steps + 1]),
      auc: tf.tensor1d(auc),
    });
  } finally {
    metric.dispose();
  }
}
