/** The path rules of Captum's `approximation_methods`, by Attrib's names. */
export type LiteralPathMethod =
  'gausslegendre' | 'riemannLeft' | 'riemannRight' | 'riemannMiddle' | 'riemannTrapezoid';

// numpy.polynomial.legendre.leggauss(n), printed by numpy: the non-negative nodes and their weights (the
// rule is symmetric). Only the step counts the tests use; add a row to use another.
const leggauss: Record<number, { nodes: number[]; weights: number[] }> = {
  6: {
    nodes: [0.2386191860831969, 0.6612093864662645, 0.9324695142031519],
    weights: [0.46791393457269104, 0.3607615730481387, 0.17132449237917027],
  },
  8: {
    nodes: [0.18343464249564978, 0.525532409916329, 0.7966664774136267, 0.9602898564975362],
    weights: [0.36268378337836166, 0.3137066458778869, 0.22238103445337443, 0.10122853629037706],
  },
};

/**
 * The points `alphas` on [0, 1] and their weights `stepSizes` of an `n`-step path rule, written out
 * from Captum's formulas in float64 so that tests of path methods never take their reference from the
 * code they check. Gauss–Legendre maps numpy's nodes x and weights w on [−1, 1] to (1 + x)/2 and w/2;
 * Riemann steps are 1/n, the trapezoid's ends halved (so its weights sum to 1 − 1/n, as in Captum).
 */
export function literalPathSchedule(
  method: LiteralPathMethod,
  n: number,
): { alphas: number[]; stepSizes: number[] } {
  const range = Array.from({ length: n }, (_, k) => k);
  switch (method) {
    case 'gausslegendre': {
      const table = leggauss[n];
      if (!table)
        throw new Error(
          `literalPathSchedule: no Gauss–Legendre table for n = ${n} (have ${Object.keys(leggauss)})`,
        );
      // Ascending, as numpy gives them: the mirrored nodes first.
      const nodes = [...[...table.nodes].reverse().map((x) => -x), ...table.nodes];
      const weights = [...[...table.weights].reverse(), ...table.weights];
      return { alphas: nodes.map((x) => (1 + x) / 2), stepSizes: weights.map((w) => w / 2) };
    }
    case 'riemannLeft':
      return { alphas: range.map((k) => k / n), stepSizes: range.map(() => 1 / n) };
    case 'riemannRight':
      return { alphas: range.map((k) => (k + 1) / n), stepSizes: range.map(() => 1 / n) };
    case 'riemannMiddle':
      return { alphas: range.map((k) => (k + 0.5) / n), stepSizes: range.map(() => 1 / n) };
    case 'riemannTrapezoid':
      return {
        alphas: range.map((k) => k / (n - 1)),
        stepSizes: range.map((k) => (k === 0 || k === n - 1 ? 0.5 : 1) / n),
      };
  }
}
