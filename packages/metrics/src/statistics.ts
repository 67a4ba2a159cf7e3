import { invalidArgument } from '@attrib/core';
/** Small host-side statistics shared by the metrics (float64, no tensors). */

/** Ranks 1..n with ties given their average rank (as scipy.stats.rankdata does). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + end + 1) / 2;
    for (let j = start; j < end; j++) ranks[order[j]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPaired('pearson', a, b);
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i] - meanA) * (b[i] - meanB);
    varA += (a[i] - meanA) ** 2;
    varB += (b[i] - meanB) ** 2;
  }
  return varA === 0 || varB === 0 ? NaN : cov / Math.sqrt(varA * varB);
}

/** Spearman's rank correlation (Pearson of average ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPaired('spearman', a, b);
  return pearson(averageRanks(a), averageRanks(b));
}

/** Two equally long lists of finite numbers (a NaN would make every rank and correlation NaN). */
function checkPaired(fn: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (const [argument, values] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number')
      throw invalidArgument(fn, argument, 'a list of numbers', values);
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number' || !Number.isFinite(values[i]))
        throw invalidArgument(
          fn,
          argument,
          'finite numbers',
          `${values[i]} at index ${i}`,
          'non-finite-input',
        );
    }
  }
  if (a.length !== b.length) throw invalidArgument(fn, 'b', `${a.length} numbers, as many as a`, b.length);
}

/** Area under y(x) by the trapezoid rule. */
export function trapezoid(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1])) / 2;
  return area;
}

/** The q-quantile with linear interpolation between order statistics (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

/** Rows of a row-major [rows, size] buffer, as views. */
export function rowsOf(data: Float32Array | Float64Array, rows: number): Array<Float32Array | Float64Array> {
  const size = rows === 0 ? 0 : data.length / rows;
  return Array.from({ length: rows }, (_, r) => data.subarray(r * size, (r + 1) * size));
}
