import * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  randomPermutation,
  seededRandom,
  type AttributionInputs,
  type FeatureMaskInput,
  type MaskedModel,
  type Target,
} from '@attrib/core';
import { PERTURBATION_OPTIONS, type AttributionResult, type PerturbationOptions } from './common.js';
import { withCoalitionGame } from './coalitions.js';
import { groupDifferences } from './feature-ablation.js';

export interface FeaturePermutationOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Group ids per explained input (core's `parseFeatureMask`); default: every scalar alone. */
  readonly featureMask?: FeatureMaskInput;
  /** Seed of the shuffles (default 0). */
  readonly seed?: number;
}

const FN = 'featurePermutation';

/**
 * Permutation importance (Captum FeaturePermutation): attr[i ∈ g] = f(x)[t] − f(x with group g's
 * values shuffled across the batch)[t]. Each group gets its own seeded shuffle, never the identity,
 * so the batch needs at least two samples.
 */
export async function featurePermutation<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: FeaturePermutationOptions,
): Promise<AttributionResult<I>> {
  const known = [...PERTURBATION_OPTIONS, 'target', 'featureMask', 'seed'];
  return withCoalitionGame(model, inputs, options, { fn: FN, known }, async (game, checked) => {
    const seed = checked.seed ?? 0;
    if (!Number.isInteger(seed)) throw invalidArgument(FN, 'seed', 'an integer', seed);
    const { groups, scorer, inputs: resolved } = game;
    const { batch } = resolved;
    if (batch < 2 || scorer.aggregate)
      throw invalidArgument(
        FN,
        'inputs',
        'a batch of at least 2 samples with one output each (values are shuffled across the batch)',
        resolved.explained[0],
      );
    const random = seededRandom(seed);
    const shuffles = Array.from({ length: groups }, () => {
      let order: Int32Array;
      do order = randomPermutation(batch, random);
      while (order.every((v, i) => v === i));
      return order;
    });
    const values = await game.values(
      groups,
      (g, flags) => {
        flags.fill(1);
        flags[g] = 0;
      },
      FN,
      (start, end) => {
        const rows = new Int32Array((end - start) * batch);
        for (let g = start; g < end; g++) rows.set(shuffles[g], (g - start) * batch);
        return resolved.explained.map((x) => tf.reshape(tf.gather(x, rows), [end - start, ...x.shape]));
      },
    );
    return groupDifferences(scorer.reference, values, groups);
  });
}
