import type { Tolerance } from './fixtures.js';

export interface Comparison {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** First element outside tolerance, for the failure line. */
  worst?: { index: number; actual: number; expected: number };
}

/** numpy.allclose semantics: |a − e| ≤ atol + rtol·|e| for every element (NaN never passes). */
export function compareValues(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): Comparison {
  let maxAbsError = 0;
  let maxRelError = 0;
  let worst: Comparison['worst'];
  let worstExcess = -Infinity;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.fround(expected[i]);
    const a = actual[i];
    const diff = Math.abs(a - e);
    const err = Number.isNaN(diff) ? Infinity : diff;
    maxAbsError = Math.max(maxAbsError, err);
    if (e !== 0) maxRelError = Math.max(maxRelError, err / Math.abs(e));
    const excess = err - (tolerance.atol + tolerance.rtol * Math.abs(e));
    if (excess > 0 && excess > worstExcess) {
      worstExcess = excess;
      worst = { index: i, actual: a, expected: e };
    }
  }
  return { ok: worst === undefined, maxAbsError, maxRelError, worst };
}
