import { invalidArgument, type AttributionInputs, type MaskedModel } from '@attrib/core';
import { type AttributionResult } from './common.js';
import { COALITION_OPTIONS, withCoalitionGame, type CoalitionOptions } from './coalitions.js';

export type ShapleyValuesOptions = CoalitionOptions;

const FN = 'shapleyValues';
/** Above this many groups the 2^n evaluations get slow; we warn rather than refuse. */
const WARN_GROUPS = 10;
/** Coalitions are bit sets in a 32-bit integer; far below that, 2^n passes are hopeless anyway. */
const MAX_GROUPS = 24;

/**
 * Exact Shapley values of the feature groups (Captum ShapleyValues): the average over all orders of
 * adding groups (from the baseline to the input) of each group's marginal change in f(·)[t]. Computed
 * from the 2^n coalition values with the subset weights |S|!(n−|S|−1)!/n!, which equals the average
 * over the n! orders with far fewer forward passes.
 */
export async function shapleyValues<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: ShapleyValuesOptions,
): Promise<AttributionResult<I>> {
  return withCoalitionGame(model, inputs, options, { fn: FN, known: COALITION_OPTIONS }, async (game) => {
    const { groups, scorer } = game;
    if (groups > MAX_GROUPS) {
      throw invalidArgument(
        FN,
        'featureMask',
        `at most ${MAX_GROUPS} groups for exact Shapley values (use shapleyValueSampling)`,
        `${groups} groups`,
      );
    }
    if (groups > WARN_GROUPS) {
      console.warn(
        `${FN}: ${groups} feature groups need 2^${groups} forward evaluations; consider shapleyValueSampling or a coarser featureMask.`,
      );
    }
    const count = 2 ** groups;
    const values = await game.values(count, (subset, flags) => {
      for (let g = 0; g < groups; g++) flags[g] = (subset >> g) & 1;
    });
    const factorial = [1];
    for (let i = 1; i <= groups; i++) factorial[i] = factorial[i - 1] * i;
    const weight = (size: number) => (factorial[size] * factorial[groups - size - 1]) / factorial[groups];
    const popcount = (v: number) => {
      let c = 0;
      for (let b = v; b; b &= b - 1) c++;
      return c;
    };
    const { nOut } = scorer;
    const perGroup = new Float64Array(nOut * groups);
    for (let subset = 0; subset < count; subset++) {
      const w = weight(popcount(subset));
      for (let g = 0; g < groups; g++) {
        if ((subset >> g) & 1) continue;
        const withG = subset | (1 << g);
        for (let n = 0; n < nOut; n++)
          perGroup[n * groups + g] += w * (values[withG * nOut + n] - values[subset * nOut + n]);
      }
    }
    return perGroup;
  });
}
