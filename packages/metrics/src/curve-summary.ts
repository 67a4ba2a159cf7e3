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
   * Share of random seeds whose area is at most top-k's (at least as damaging): an empirical
   * one-sided p-value for "top-k hurts more than random". 0 means no seed did.
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
    pValue: seedAreas.filter((area) => area <= areaTop).length / seedAreas.length,
  };
}
