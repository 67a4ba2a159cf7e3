import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  resolveBaseline,
  targetIndices,
  type Graph,
  type ProgressCallback,
  type Target,
} from '@attrib/core';
import { expectShape, positiveInteger, requireTensor } from './checks.js';
import { featureGroups, groupRelevance } from './feature-groups.js';
import { evaluateMasked } from './masked-evaluation.js';
import { pearson } from './statistics.js';
import { seededRandom } from '@attrib/core';

export interface FaithfulnessCorrelationOptions {
  readonly attributions: tf.Tensor;
  readonly target?: Target;
  readonly featureMask?: tf.Tensor;
  /** Features replaced per run. */
  readonly subsetSize: number;
  readonly nRuns?: number;
  readonly baselines?: number | tf.Tensor;
  readonly seed?: number;
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

/**
 * Faithfulness correlation (Bhatt et al. 2020): over random subsets of features set to the baseline,
 * the Pearson correlation between the subset's total attribution and the drop of the target output.
 */
export async function faithfulnessCorrelation(
  model: Graph,
  inputs: tf.Tensor,
  options: FaithfulnessCorrelationOptions,
): Promise<{ correlation: tf.Tensor1D }> {
  const fn = 'faithfulnessCorrelation';
  const attributions = requireTensor(fn, 'attributions', options.attributions);
  expectShape(fn, 'attributions', attributions, inputs.shape);
  assertFinite(inputs, fn, 'inputs');
  const groups = featureGroups(inputs, options.featureMask, fn);
  const subsetSize = Math.min(positiveInteger(fn, 'subsetSize', options.subsetSize), groups.count);
  const runs = positiveInteger(fn, 'nRuns', options.nRuns, 100);
  const batch = inputs.shape[0];
  const random = seededRandom(options.seed ?? 0);
  // One random subset per (sample, run), drawn up front so results do not depend on chunking.
  const subsets = Array.from({ length: batch * runs }, () => {
    const chosen = new Uint8Array(groups.count);
    const pool = Array.from({ length: groups.count }, (_, g) => g);
    for (let k = 0; k < subsetSize; k++) {
      const pick = k + Math.floor(random() * (groups.count - k));
      [pool[k], pool[pick]] = [pool[pick], pool[k]];
      chosen[pool[k]] = 1;
    }
    return chosen;
  });
  const relevance = groupRelevance(attributions, groups);
  const sampleTargets = targetIndices(options.target, model.outputShape(inputs, fn), fn);
  const baselines = resolveBaseline(options.baselines, inputs, fn);
  let values: Float32Array;
  try {
    // Row 0 of each sample is the unperturbed input, rows 1..runs the subsets.
    values = await evaluateMasked(
      model,
      inputs,
      baselines,
      {
        rows: batch * (runs + 1),
        sampleOf: (row) => Math.floor(row / (runs + 1)),
        fillKeep(row, keep) {
          const run = row % (runs + 1);
          if (run === 0) {
            keep.fill(1);
            return;
          }
          const chosen = subsets[Math.floor(row / (runs + 1)) * runs + run - 1];
          for (let j = 0; j < keep.length; j++) keep[j] = chosen[groups.groupOf[j]] ? 0 : 1;
        },
      },
      {
        target: options.target,
        sampleTargets,
        perturbationsPerEval: options.perturbationsPerEval,
        onProgress: options.onProgress,
        stage: 'subsets',
        fn,
      },
    );
  } finally {
    baselines.dispose();
  }
  const correlation = Float32Array.from({ length: batch }, (_, i) => {
    const drops = new Float64Array(runs);
    const sums = new Float64Array(runs);
    for (let run = 0; run < runs; run++) {
      drops[run] = values[i * (runs + 1)] - values[i * (runs + 1) + run + 1];
      const chosen = subsets[i * runs + run];
      for (let g = 0; g < groups.count; g++) if (chosen[g]) sums[run] += relevance[i][g];
    }
    return pearson(sums, drops);
  });
  return { correlation: tf.tensor1d(correlation) };
}
