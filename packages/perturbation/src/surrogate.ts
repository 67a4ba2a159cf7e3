import { invalidArgument } from '@attrib/core';
import type { CoalitionGame } from './coalitions.js';
import { fitLinear, type LinearFitOptions } from './linear-fit.js';

export interface SurrogatePlan {
  /** Coalitions as presence flags, [samples × groups]. */
  readonly coalitions: Float32Array;
  readonly samples: number;
  /** Weight of coalition r for output sample n. */
  weight(r: number, n: number): number;
  readonly fit: LinearFitOptions;
}

/**
 * Fits, per sample, a linear model of f(·)[t] on the coalition flags (an interpretable surrogate);
 * its coefficients are the groups' values, [nOut × groups].
 */
export async function fitSurrogate(game: CoalitionGame, plan: SurrogatePlan): Promise<Float64Array> {
  const { groups, scorer } = game;
  const { samples, coalitions } = plan;
  const values = await game.values(samples, (r, flags) =>
    flags.set(coalitions.subarray(r * groups, (r + 1) * groups)),
  );
  const design = Float64Array.from(coalitions);
  const perGroup = new Float64Array(scorer.nOut * groups);
  for (let n = 0; n < scorer.nOut; n++) {
    const y = Float64Array.from({ length: samples }, (_, r) => values[r * scorer.nOut + n]);
    const w = Float64Array.from({ length: samples }, (_, r) => plan.weight(r, n));
    perGroup.set(fitLinear(design, samples, groups, y, w, plan.fit).coefficients, n * groups);
  }
  return perGroup;
}

export function checkSamples(fn: string, nSamples: unknown): number {
  if (!Number.isInteger(nSamples) || (nSamples as number) < 1)
    throw invalidArgument(fn, 'nSamples', 'a positive integer', nSamples);
  return nSamples as number;
}
