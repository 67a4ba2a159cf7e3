import type { AttributionInputs, MaskedModel } from '@attrib/core';
import { type AttributionResult } from './common.js';
import {
  COALITION_OPTIONS,
  withCoalitionGame,
  type CoalitionGame,
  type CoalitionOptions,
} from './coalitions.js';

/**
 * `featureMask`: group ids per explained input (shared `[1, ...]` or per sample `[N, ...]`, broadcast
 * over axes of size 1); default: every scalar alone. `baselines`: what an ablated feature becomes (a
 * number, a tensor of the input's shape or of one sample's, per input for several; default 0).
 */
export type FeatureAblationOptions = CoalitionOptions;

const FN = 'featureAblation';

/**
 * attr[i ∈ g] = f(x)[t] − f(x with group g set to the baseline)[t] (Captum FeatureAblation), for every
 * explained input (a group may span inputs). When the forward returns one scalar for the whole batch,
 * the result has batch size 1.
 */
export async function featureAblation<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: FeatureAblationOptions,
): Promise<AttributionResult<I>> {
  return withCoalitionGame(model, inputs, options, { fn: FN, known: COALITION_OPTIONS }, ablateEachGroup);
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
 * Each group alone set to the baseline: the score drops, [nOut × groups]. Shared by featureAblation and
 * neuronFeatureAblation, which differ only in what is scored.
 */
export async function ablateEachGroup(game: CoalitionGame): Promise<Float64Array> {
  const { groups, scorer } = game;
  const values = await game.values(groups, (g, flags) => {
    flags.fill(1);
    flags[g] = 0;
  });
  return groupDifferences(scorer.reference, values, groups);
}
