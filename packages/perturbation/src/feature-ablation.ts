import type * as tf from '@tensorflow/tfjs-core';
import { type AttributionResult } from './common.js';
import { withCoalitionGame, type CoalitionGame, type CoalitionOptions } from './coalitions.js';
import { spreadGroupValues } from './group-mask.js';
import type { Model } from './model.js';

/**
 * `featureMask`: group ids 0..n−1 broadcastable to the input ([1, ...] shared, [N, ...] per sample);
 * default: every scalar alone. `baselines`: what an ablated feature becomes (a number, a tensor of
 * the input's shape or of one sample's; default 0).
 */
export type FeatureAblationOptions = CoalitionOptions;

const FN = 'featureAblation';

/**
 * attr[i ∈ g] = f(x)[t] − f(x with group g set to the baseline)[t] (Captum FeatureAblation). When the
 * forward returns one scalar for the whole batch, the result has batch size 1.
 */
export async function featureAblation(
  model: Model,
  inputs: tf.Tensor,
  options: FeatureAblationOptions = {},
): Promise<AttributionResult> {
  return withCoalitionGame(model, inputs, options, FN, (game) => ablateEachGroup(game, inputs.shape));
}

/** reference[n] − values[g, n], laid out [n × groups] for spreading. */
export function groupDifferences(
  reference: Float64Array,
  values: Float64Array,
  groups: number,
): Float64Array {
  const nOut = reference.length;
  const perGroup = new Float64Array(nOut * groups);
  for (let g = 0; g < groups; g++) {
    for (let n = 0; n < nOut; n++) perGroup[n * groups + g] = reference[n] - values[g * nOut + n];
  }
  return perGroup;
}

/**
 * Each group alone set to the baseline; the score differences spread back over the group's features.
 * Shared by featureAblation and neuronFeatureAblation, which differ only in what is scored.
 */
export async function ablateEachGroup(
  game: CoalitionGame,
  inputShape: readonly number[],
): Promise<AttributionResult> {
  const { groups, scorer } = game;
  const values = await game.values(groups, (g, flags) => {
    flags.fill(1);
    flags[g] = 0;
  });
  return {
    attributions: spreadGroupValues(
      groupDifferences(scorer.reference, values, groups),
      scorer.nOut,
      game.mask,
      inputShape,
    ),
  };
}
