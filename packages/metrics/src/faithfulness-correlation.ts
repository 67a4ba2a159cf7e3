import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  evaluateMasked,
  groupSums,
  ownResult,
  rowKeepMasks,
  seededRandom,
  streamSeed,
  type AttributionInputs,
  type Disposable,
  type Graph,
  type ProgressCallback,
} from '@attrib/core';
import { positiveInteger } from './checks.js';
import { inputMetric, type InputMetricOptions } from './metric-inputs.js';
import { pearson } from './statistics.js';

export interface FaithfulnessCorrelationOptions extends InputMetricOptions {
  /** Attributions in the structure of the inputs. */
  readonly attributions: AttributionInputs;
  /** Features (groups of `featureMask`) replaced per run. */
  readonly subsetSize: number;
  readonly nRuns?: number;
  readonly seed?: number;
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
}

const FN = 'faithfulnessCorrelation';
const KNOWN = [
  'attributions',
  'target',
  'featureMask',
  'subsetSize',
  'nRuns',
  'baselines',
  'seed',
  'perturbationsPerEval',
  'memoryBudget',
  'onProgress',
  'additionalInputs',
];

/**
 * Faithfulness correlation (Bhatt et al. 2020): over random subsets of features set to the baseline,
 * the Pearson correlation between the subset's total attribution and the drop of the target output.
 */
export async function faithfulnessCorrelation(
  model: Graph,
  inputs: AttributionInputs,
  rawOptions: FaithfulnessCorrelationOptions,
): Promise<{ correlation: tf.Tensor1D } & Disposable> {
  const options = checkOptions(FN, rawOptions, KNOWN);
  const metric = inputMetric(model, inputs, options, FN, { mask: true });
  try {
    const mask = metric.mask!;
    const { groups } = mask;
    const subsetSize = Math.min(positiveInteger(FN, 'subsetSize', options.subsetSize), groups);
    const runs = positiveInteger(FN, 'nRuns', options.nRuns, 100);
    const { batch } = metric.inputs;
    const seed = checkSeed(FN, options.seed);
    // One random subset per (sample, run), each from its own stream: results depend neither on the
    // chunking nor on the batch size (a sample's subsets are the same in any batch).
    const subsets = Array.from({ length: batch * runs }, (_, index) => {
      const random = seededRandom(streamSeed(seed, Math.floor(index / runs), index % runs));
      const chosen = new Uint8Array(groups);
      const pool = Array.from({ length: groups }, (_, g) => g);
      for (let k = 0; k < subsetSize; k++) {
        const pick = k + Math.floor(random() * (groups - k));
        [pool[k], pool[pick]] = [pool[pick], pool[k]];
        chosen[pool[k]] = 1;
      }
      return chosen;
    });
    const relevance = groupSums(mask, metric.attributions, metric.shapes);
    const sampleOf = (row: number) => Math.floor(row / (runs + 1));
    // Row 0 of each sample is the unperturbed input, rows 1..runs the subsets.
    const values = await evaluateMasked(metric.scorer, metric.baselines, {
      total: batch * (runs + 1),
      sampleOf,
      perturbationsPerEval: options.perturbationsPerEval,
      memoryBudget: options.memoryBudget,
      onProgress: options.onProgress,
      stage: 'subsets',
      keep(start, end) {
        const flags = new Float32Array((end - start) * groups).fill(1);
        const samples = Int32Array.from({ length: end - start }, (_, r) => sampleOf(start + r));
        for (let row = start; row < end; row++) {
          const run = row % (runs + 1);
          if (run === 0) continue;
          const chosen = subsets[sampleOf(row) * runs + run - 1];
          for (let g = 0; g < groups; g++) if (chosen[g]) flags[(row - start) * groups + g] = 0;
        }
        return rowKeepMasks(mask, flags, samples);
      },
    });
    const correlation = Float32Array.from({ length: batch }, (_, i) => {
      const drops = new Float64Array(runs);
      const sums = new Float64Array(runs);
      for (let run = 0; run < runs; run++) {
        drops[run] = values[i * (runs + 1)] - values[i * (runs + 1) + run + 1];
        const chosen = subsets[i * runs + run];
        for (let g = 0; g < groups; g++) if (chosen[g]) sums[run] += relevance[i][g];
      }
      return pearson(sums, drops);
    });
    return ownResult({ correlation: tf.tensor1d(correlation) });
  } finally {
    metric.dispose();
  }
}
