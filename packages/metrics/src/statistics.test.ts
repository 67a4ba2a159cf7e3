import { averageRanks, pearson, quantile, spearman, trapezoid } from './statistics.js';

describe('host statistics', () => {
  it('ranks ties by their average rank', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
  });

  it('computes Spearman as the Pearson correlation of ranks', () => {
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
  });

  it('integrates by trapezoids and interpolates quantiles like numpy', () => {
    expect(trapezoid([0, 0.5, 1], [1, 1, 0])).toBeCloseTo(0.75, 12);
    expect(quantile([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([4, 1, 3, 2], 0.025)).toBeCloseTo(1.075, 12);
  });
});
