import { fitLinear } from './linear-fit.js';
import { seededRandom } from '@attrib/core';

describe('fitLinear', () => {
  const rows = 40;
  const features = 3;
  const random = seededRandom(5);
  const design = Float64Array.from({ length: rows * features }, () => (random() < 0.5 ? 0 : 1));
  const truth = [0.5, -2, 1.25];
  const y = Float64Array.from(
    { length: rows },
    (_, r) => 0.75 + truth.reduce((s, b, j) => s + b * design[r * features + j], 0),
  );
  const weights = Float64Array.from({ length: rows }, () => 0.1 + random());

  it('recovers an exact linear relation with any weights', () => {
    const fit = fitLinear(design, rows, features, y, weights);
    truth.forEach((b, j) => expect(fit.coefficients[j]).toBeCloseTo(b, 10));
    expect(fit.intercept).toBeCloseTo(0.75, 10);
  });

  it('gives 0 to a feature that never varies (minimum norm)', () => {
    const constant = Float64Array.from(design, (v, i) => (i % features === 2 ? 1 : v));
    const target = Float64Array.from({ length: rows }, (_, r) => 1 + 3 * constant[r * features]);
    const fit = fitLinear(constant, rows, features, target, weights);
    expect(fit.coefficients[0]).toBeCloseTo(3, 10);
    expect(fit.coefficients[2]).toBeCloseTo(0, 10);
  });

  it('lasso matches the soft-threshold solution for one standardised feature', () => {
    // One feature, unit weights: β = S(cov(x, y), α) / var(x) with population moments.
    const x = Float64Array.from({ length: rows }, (_, r) => design[r * features]);
    const ones = new Float64Array(rows).fill(1);
    const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / rows;
    const mx = mean(x);
    const my = mean(y);
    const cov = x.reduce((s, v, r) => s + (v - mx) * (y[r] - my), 0) / rows;
    const variance = x.reduce((s, v) => s + (v - mx) ** 2, 0) / rows;
    const alpha = 0.05;
    const fit = fitLinear(x, rows, 1, y, ones, { penalty: 'l1', alpha });
    expect(fit.coefficients[0]).toBeCloseTo(
      (Math.sign(cov) * Math.max(Math.abs(cov) - alpha, 0)) / variance,
      10,
    );
    const ridge = fitLinear(x, rows, 1, y, ones, { penalty: 'l2', alpha: 2 });
    expect(ridge.coefficients[0]).toBeCloseTo((cov * rows) / (variance * rows + 2), 10);
  });
});
