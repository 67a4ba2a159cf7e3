import {
  invalidArgument,
  randomPermutation,
  seededRandom,
  type AttributionInputs,
  type MaskedModel,
} from '@attrib/core';
import { type AttributionResult } from './common.js';
import { COALITION_OPTIONS, withCoalitionGame, type CoalitionOptions } from './coalitions.js';

export interface ShapleyValueSamplingOptions extends CoalitionOptions {
  /** Random orders of the groups to average over (default 25, as Captum). */
  readonly nSamples?: number;
  /** Seed of the order sampling (default 0): equal seeds give equal results. */
  readonly seed?: number;
}

const FN = 'shapleyValueSampling';

/**
 * Shapley values estimated from `nSamples` random orders (Captum ShapleyValueSampling): groups are
 * added one by one from the baseline; each gets the mean of its marginal changes in f(·)[t].
 */
export async function shapleyValueSampling<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: ShapleyValueSamplingOptions,
): Promise<AttributionResult<I>> {
  const known = [...COALITION_OPTIONS, 'nSamples', 'seed'];
  return withCoalitionGame(model, inputs, options, { fn: FN, known }, async (game, checked) => {
    const nSamples = checked.nSamples ?? 25;
    if (!Number.isInteger(nSamples) || nSamples < 1)
      throw invalidArgument(FN, 'nSamples', 'a positive integer', nSamples);
    const seed = checked.seed ?? 0;
    if (!Number.isInteger(seed)) throw invalidArgument(FN, 'seed', 'an integer', seed);
    const { groups, scorer } = game;
    const random = seededRandom(seed);
    const orders = Array.from({ length: nSamples }, () => randomPermutation(groups, random));
    // Evaluation 0 is the all-baseline input; then for each order, its prefixes of length 1..n.
    const values = await game.values(1 + nSamples * groups, (index, flags) => {
      if (index === 0) return;
      const order = orders[Math.floor((index - 1) / groups)];
      const length = ((index - 1) % groups) + 1;
      for (let i = 0; i < length; i++) flags[order[i]] = 1;
    });
    const { nOut } = scorer;
    const perGroup = new Float64Array(nOut * groups);
    orders.forEach((order, s) => {
      for (let i = 0; i < groups; i++) {
        const current = 1 + s * groups + i;
        const previous = i === 0 ? 0 : current - 1;
        for (let n = 0; n < nOut; n++)
          perGroup[n * groups + order[i]] +=
            (values[current * nOut + n] - values[previous * nOut + n]) / nSamples;
      }
    });
    return perGroup;
  });
}
