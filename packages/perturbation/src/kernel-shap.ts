import {
  checkSeed,
  invalidArgument,
  seededRandom,
  type AttributionInputs,
  type MaskedModel,
} from '@attrib/core';
import { type AttributionResult } from './common.js';
import { COALITION_OPTIONS, withCoalitionGame, type CoalitionOptions } from './coalitions.js';
import { checkSamples, fitSurrogate } from './surrogate.js';

export interface KernelShapOptions extends CoalitionOptions {
  /** Coalitions to evaluate, the all-present and all-absent ones included (default 25, as Captum). */
  readonly nSamples?: number;
  /** Seed of the coalition sampling (default 0). */
  readonly seed?: number;
}

const FN = 'kernelShap';

/**
 * Captum's weight of the full and the empty coalition (its `inf_weight`; every other coalition weighs 1,
 * the Shapley kernel being in the sampling). The kernel's weight there is infinite: pinning the
 * surrogate to f(x) and f(baseline) is what makes the attributions sum to f(x) − f(baseline).
 */
const END_WEIGHT = 1e6;

/**
 * KernelSHAP as Captum computes it: the coalitions are the full and the empty one, then coalitions
 * whose size k is drawn with probability ∝ (n−1)/(k(n−k)) (the Shapley kernel) and members drawn
 * uniformly; a least-squares fit with intercept of f(·)[t] on the flags, weighing the two end
 * coalitions 10⁶ and the others 1, gives one coefficient per group: they sum to f(x) − f(baseline) at
 * any nSamples ≥ 2 (fewer coalitions than groups give the minimum-norm fit), and approach the Shapley
 * values as nSamples grows.
 */
export async function kernelShap<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: KernelShapOptions,
): Promise<AttributionResult<I>> {
  const known = [...COALITION_OPTIONS, 'nSamples', 'seed'];
  return withCoalitionGame(model, inputs, options, { fn: FN, known }, async (game, checked) => {
    const samples = checkSamples(FN, checked.nSamples ?? 25);
    if (samples < 2) {
      throw invalidArgument(FN, 'nSamples', 'at least 2 (the full and the empty coalition)', samples);
    }
    const seed = checkSeed(FN, checked.seed);
    const coalitions = kernelShapCoalitions(game.groups, samples, seededRandom(seed));
    // Rows 0 and 1 are the full and the empty coalition.
    const weight = (r: number) => (r < 2 ? END_WEIGHT : 1);
    return fitSurrogate(game, { coalitions, samples, weight, fit: { penalty: 'none' } });
  });
}

/** [samples × groups] presence flags: all present, none present, then Shapley-kernel draws. */
function kernelShapCoalitions(groups: number, samples: number, random: () => number): Float32Array {
  const flags = new Float32Array(samples * groups);
  flags.fill(1, 0, groups);
  const sizes = Array.from(
    { length: Math.max(groups - 1, 0) },
    (_, i) => (groups - 1) / ((i + 1) * (groups - i - 1)),
  );
  const totalWeight = sizes.reduce((a, b) => a + b, 0);
  const order = Int32Array.from({ length: groups }, (_, i) => i);
  for (let r = 2; r < samples; r++) {
    if (sizes.length === 0) {
      flags.fill(random() < 0.5 ? 1 : 0, r * groups, (r + 1) * groups);
      continue;
    }
    let pick = random() * totalWeight;
    let size = 1;
    while (size < sizes.length && pick >= sizes[size - 1]) pick -= sizes[size++ - 1];
    // The first `size` entries of a partial Fisher–Yates shuffle are a uniform subset of that size.
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(random() * (groups - i));
      [order[i], order[j]] = [order[j], order[i]];
      flags[r * groups + order[i]] = 1;
    }
  }
  return flags;
}
