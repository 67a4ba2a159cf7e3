import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  invalidArgument,
  resolveBaseline,
  targetIndices,
  type Graph,
  type ProgressCallback,
  type Target,
} from '@attrib/core';
import { expectShape, positiveInteger, requireTensor } from './checks.js';
import { featureGroups, groupRelevance } from './feature-groups.js';
import { evaluateMasked } from './masked-evaluation.js';
import { trapezoid } from './statistics.js';

export interface FeatureRemovalOptions {
  readonly attributions: tf.Tensor;
  readonly target?: Target;
  /** `deletion`: start from the input and replace features by the baseline; `insertion`: the reverse. */
  readonly mode?: 'deletion' | 'insertion';
  /** Which features go first. */
  readonly order?: 'most-relevant-first' | 'least-relevant-first';
  /** Groups of elements treated as one feature (patches, pixels); see `patchMask`. */
  readonly featureMask?: tf.Tensor;
  readonly featuresPerStep?: number;
  /** Stop after this many steps (all features by default). */
  readonly maxSteps?: number;
  /** The value a removed feature takes (0 by default): a number, or a tensor of the input's or one sample's shape. */
  readonly baselines?: number | tf.Tensor;
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

export interface FeatureRemovalResult {
  /** Share of features removed (deletion) or inserted (insertion) at each step, from 0. */
  readonly fractions: Float32Array;
  /** Target value after each step, [N, steps + 1]. */
  readonly curve: tf.Tensor2D;
  /** Area under each sample's curve over `fractions` (trapezoid), [N]. */
  readonly auc: tf.Tensor1D;
}

/**
 * Deletion and insertion curves (Petsiuk et al. 2018, RISE; Samek et al. 2017): features are removed
 * from (or inserted into) the input in the order of their relevance, `featuresPerStep` at a time, and
 * the target output is recorded after each step. Every step of every sample is one row of a batched
 * forward pass.
 */
export async function featureRemovalCurve(
  model: Graph,
  inputs: tf.Tensor,
  options: FeatureRemovalOptions,
): Promise<FeatureRemovalResult> {
  const fn = 'featureRemovalCurve';
  const attributions = requireTensor(fn, 'attributions', options.attributions);
  expectShape(fn, 'attributions', attributions, inputs.shape);
  assertFinite(inputs, fn, 'inputs');
  assertFinite(attributions, fn, 'attributions');
  const mode = options.mode ?? 'deletion';
  const order = options.order ?? 'most-relevant-first';
  if (mode !== 'deletion' && mode !== 'insertion')
    throw invalidArgument(fn, 'mode', `'deletion' or 'insertion'`, mode);
  if (order !== 'most-relevant-first' && order !== 'least-relevant-first')
    throw invalidArgument(fn, 'order', `'most-relevant-first' or 'least-relevant-first'`, order);
  const perStep = positiveInteger(fn, 'featuresPerStep', options.featuresPerStep, 1);
  const groups = featureGroups(inputs, options.featureMask, fn);
  const allSteps = Math.ceil(groups.count / perStep);
  const steps = Math.min(allSteps, positiveInteger(fn, 'maxSteps', options.maxSteps, allSteps));
  const batch = inputs.shape[0];

  // rank[i][g]: position of group g in sample i's removal order (stable: ties by index).
  const ranks = groupRelevance(attributions, groups).map((relevance) => {
    const sign = order === 'most-relevant-first' ? -1 : 1;
    const sorted = Array.from({ length: groups.count }, (_, g) => g).sort(
      (a, b) => sign * (relevance[a] - relevance[b]) || a - b,
    );
    const rank = new Int32Array(groups.count);
    sorted.forEach((g, position) => (rank[g] = position));
    return rank;
  });
  const sampleTargets = targetIndices(options.target, model.outputShape(inputs, fn), fn);
  const baselines = resolveBaseline(options.baselines, inputs, fn);
  let values: Float32Array;
  try {
    values = await evaluateMasked(
      model,
      inputs,
      baselines,
      {
        rows: batch * (steps + 1),
        sampleOf: (row) => Math.floor(row / (steps + 1)),
        fillKeep(row, keep) {
          const rank = ranks[Math.floor(row / (steps + 1))];
          const changed = Math.min((row % (steps + 1)) * perStep, groups.count);
          for (let j = 0; j < keep.length; j++) {
            const isChanged = rank[groups.groupOf[j]] < changed;
            keep[j] = mode === 'deletion' ? (isChanged ? 0 : 1) : isChanged ? 1 : 0;
          }
        },
      },
      {
        target: options.target,
        sampleTargets,
        perturbationsPerEval: options.perturbationsPerEval,
        onProgress: options.onProgress,
        stage: mode,
        fn,
      },
    );
  } finally {
    baselines.dispose();
  }
  const fractions = Float32Array.from(
    { length: steps + 1 },
    (_, s) => Math.min(s * perStep, groups.count) / groups.count,
  );
  const auc = Float32Array.from({ length: batch }, (_, i) =>
    trapezoid(fractions, values.subarray(i * (steps + 1), (i + 1) * (steps + 1))),
  );
  return { fractions, curve: tf.tensor2d(values, [batch, steps + 1]), auc: tf.tensor1d(auc) };
}
