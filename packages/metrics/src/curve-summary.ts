import { quantile, trapezoid } from './statistics.js';

/** One metric against k: top-k, bottom-k, and random-k over seeds (mean, 95% band, each seed). */
export interface CurveSet {
  readonly top: number[];
  readonly bottom: number[];
  readonly random: {
    readonly mean: number[];
    /** 2.5% and 97.5% quantiles over seeds at each k (linear interpolation). */
    readonly lower: number[];
    readonly upper: number[];
    /** [seed][k]. */
    readonly perSeed: number[][];
  };
  readonly areas: {
    /** Areas under the curves over the ablated fraction k/units in [0, 1] (trapezoid). */
    readonly top: number;
    readonly bottom: number;
    readonly randomMean: number;
    /** randomMean − top: positive when top-k ablation does more damage than random. */
    readonly randomMinusTop: number;
    /** bottom − randomMean: positive when bottom-k ablation does less damage than random. */
    readonly bottomMinusRandom: number;
  };
  /**
   * Empirical one-sided p-value for "top-k hurts more than random": (1 + c) / (1 + S), c of the S
   * random seeds having an area at most top-k's (at least as damaging). The +1 counts top-k itself as
   * one draw of the null (Davison & Hinkley; North et al. 2002), so p is never 0 and S seeds can show
   * at best p = 1 / (1 + S).
   */
  readonly pValue: number;
}

/** Summarises curves of one metric (higher = the model does better, so lower = more damage). */
export function summariseCurves(
  fractions: readonly number[],
  top: number[],
  bottom: number[],
  perSeed: number[][],
): CurveSet {
  const ks = fractions.length;
  const column = (k: number) => perSeed.map((curve) => curve[k]);
  const mean = Array.from({ length: ks }, (_, k) => column(k).reduce((a, b) => a + b, 0) / perSeed.length);
  const areaTop = trapezoid(fractions, top);
  const areaBottom = trapezoid(fractions, bottom);
  const areaRandom = trapezoid(fractions, mean);
  const seedAreas = perSeed.map((curve) => trapezoid(fractions, curve));
  return {
    top,
    bottom,
    random: {
      mean,
      lower: Array.from({ length: ks }, (_, k) => quantile(column(k), 0.025)),
      upper: Array.from({ length: ks }, (_, k) => quantile(column(k), 0.975)),
      perSeed,
    },
    areas: {
      top: areaTop,
      bottom: areaBottom,
      randomMean: areaRandom,
      randomMinusTop: areaRandom - areaTop,
      bottomMinusRandom: areaBottom - areaRandom,
    },
    pValue: (1 + seedAreas.filter((area) => area <= areaTop).length) / (1 + seedAreas.length),
  };
}
