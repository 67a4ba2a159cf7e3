import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, type Target } from '@attrib/core';
import { type AttributionResult, type PerturbationOptions } from './common.js';
import { evaluatePerturbations } from './evaluate.js';
import { groupDifferences } from './feature-ablation.js';
import { coalitionMasks, parseGroupMask, spreadGroupValues } from './group-mask.js';
import { scorePresent } from './input-space.js';
import { createScorer, type Model } from './model.js';
import { randomPermutation, seededRandom } from '@attrib/core';

export interface FeaturePermutationOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Group ids 0..n−1 broadcastable to the input; default: every scalar alone. */
  readonly featureMask?: tf.Tensor | null;
  /** Seed of the shuffles (default 0). */
  readonly seed?: number;
}

const FN = 'featurePermutation';

/**
 * Permutation importance (Captum FeaturePermutation): attr[i ∈ g] = f(x)[t] − f(x with group g's
 * values shuffled across the batch)[t]. Each group gets its own seeded shuffle, never the identity,
 * so the batch needs at least two samples.
 */
export async function featurePermutation(
  model: Model,
  inputs: tf.Tensor,
  options: FeaturePermutationOptions = {},
): Promise<AttributionResult> {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw invalidArgument(FN, 'seed', 'an integer', seed);
  const scorer = createScorer(model, inputs, { target: options.target, hooks: options.hooks, fn: FN });
  const batch = inputs.shape[0];
  if (batch < 2 || scorer.aggregate)
    throw invalidArgument(
      FN,
      'inputs',
      'a batch of at least 2 samples with one output each (values are shuffled across the batch)',
      inputs,
    );
  const mask = parseGroupMask(options.featureMask, inputs.shape, FN, 'featureMask');
  try {
    const { groups } = mask;
    const random = seededRandom(seed);
    const shuffles = Array.from({ length: groups }, () => {
      let order: Int32Array;
      do order = randomPermutation(batch, random);
      while (order.every((v, i) => v === i));
      return order;
    });
    const values = await evaluatePerturbations({
      total: groups,
      perturbationsPerEval: options.perturbationsPerEval,
      nOut: scorer.nOut,
      fn: FN,
      onProgress: options.onProgress,
      evaluate(start, end) {
        const copies = end - start;
        const flags = new Float32Array(copies * groups).fill(1);
        const rows = new Int32Array(copies * batch);
        for (let g = start; g < end; g++) {
          flags[(g - start) * groups + g] = 0;
          rows.set(shuffles[g], (g - start) * batch);
        }
        const shuffled = tf.reshape(tf.gather(inputs, rows), [copies, ...inputs.shape]);
        return scorePresent(scorer, inputs, shuffled, coalitionMasks(flags, copies, mask), copies);
      },
    });
    return {
      attributions: spreadGroupValues(
        groupDifferences(scorer.reference, values, groups),
        scorer.nOut,
        mask,
        inputs.shape,
      ),
    };
  } finally {
    mask.dispose();
  }
}
