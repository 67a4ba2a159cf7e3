import { MAX_STEPS, approximation, gaussLegendre, resolveMethod } from './approximation.js';
import { InvalidArgumentError } from '@attrib/core';

describe('approximation', () => {
  it('Gauss–Legendre nodes and weights match numpy leggauss(5)', () => {
    // numpy.polynomial.legendre.leggauss(5), printed by numpy.
    const { nodes, weights } = gaussLegendre(5);
    const expectedNodes = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
    const expectedWeights = [
      0.23692688505618928, 0.4786286704993663, 0.5688888888888887, 0.4786286704993663, 0.23692688505618928,
    ];
    nodes.forEach((x, i) => expect(Math.abs(x - expectedNodes[i])).toBeLessThan(1e-14));
    weights.forEach((w, i) => expect(Math.abs(w - expectedWeights[i])).toBeLessThan(1e-14));
  });

  it.each([1, 2, 7, 16, 50])(
    '%i-point Gauss–Legendre integrates x^(2n−1) and x^(2n−2) on [0, 1] exactly',
    (n) => {
      const { nodes, weights } = gaussLegendre(n);
      for (const degree of [2 * n - 1, 2 * n - 2]) {
        const integral = nodes.reduce((sum, x, i) => sum + 0.5 * weights[i] * ((1 + x) / 2) ** degree, 0);
        expect(Math.abs(integral - 1 / (degree + 1))).toBeLessThan(1e-12);
      }
    },
  );

  it('Riemann rules follow Captum: left, right, middle, trapezoid', () => {
    expect(approximation('riemannLeft', 4)).toEqual({
      alphas: [0, 0.25, 0.5, 0.75],
      stepSizes: [0.25, 0.25, 0.25, 0.25],
    });
    expect(approximation('riemannRight', 4)).toEqual({
      alphas: [0.25, 0.5, 0.75, 1],
      stepSizes: [0.25, 0.25, 0.25, 0.25],
    });
    expect(approximation('riemannMiddle', 4)).toEqual({
      alphas: [0.125, 0.375, 0.625, 0.875],
      stepSizes: [0.25, 0.25, 0.25, 0.25],
    });
    const trapezoid = approximation('riemannTrapezoid', 5);
    expect(trapezoid.alphas).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(trapezoid.stepSizes).toEqual([0.1, 0.2, 0.2, 0.2, 0.1].map(Math.fround));
  });

  it('step sizes are float32 values and sum to 1', () => {
    const { stepSizes, alphas } = approximation('gausslegendre', 50);
    for (const s of stepSizes) expect(Math.fround(s)).toBe(s);
    for (const a of alphas) expect(a > 0 && a < 1).toBe(true);
    expect(Math.abs(stepSizes.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
  });

  it('refuses a one-point Riemann rule (its alphas were [NaN]) and an unknown method, by name', () => {
    for (const method of ['riemannLeft', 'riemannRight', 'riemannMiddle', 'riemannTrapezoid'] as const) {
      expect(() => approximation(method, 1)).toThrow(InvalidArgumentError);
      expect(() => approximation(method, 1)).toThrow(/'nSteps' passed to 'approximation'.*from 2/);
    }
    expect(approximation('gausslegendre', 1)).toEqual({ alphas: [0.5], stepSizes: [1] });
    expect(approximation('riemann_left' as never, 2).alphas).toEqual([0, 0.5]);
    expect(() => approximation('simpson' as never, 4)).toThrow(/'method' passed to 'approximation'/);
    expect(() => approximation('riemannLeft', 2.5)).toThrow(InvalidArgumentError);
  });

  it('bounds nSteps at once instead of hanging (1e6 Gauss–Legendre points cost O(n²))', () => {
    const started = Date.now();
    expect(() => approximation('gausslegendre', 1e6)).toThrow(/'nSteps' passed to 'approximation'.*10000/);
    expect(() => gaussLegendre(1e6)).toThrow(/'n' passed to 'gaussLegendre'/);
    expect(() => approximation('riemannTrapezoid', MAX_STEPS.riemann + 1)).toThrow(InvalidArgumentError);
    expect(Date.now() - started).toBeLessThan(1000);
    // Up to the bound, a Riemann rule is linear-time.
    const { alphas, stepSizes } = approximation('riemannMiddle', MAX_STEPS.riemann);
    expect(alphas).toHaveLength(MAX_STEPS.riemann);
    expect(stepSizes[0]).toBe(Math.fround(1e-6));
  });

  it('a 500-point Gauss–Legendre rule is still exact to rounding (x^999 on [0, 1])', () => {
    const { nodes, weights } = gaussLegendre(500);
    const integral = nodes.reduce((sum, x, i) => sum + 0.5 * weights[i] * ((1 + x) / 2) ** 999, 0);
    expect(Math.abs(integral - 1 / 1000)).toBeLessThan(1e-12);
    expect(Math.abs(weights.reduce((a, b) => a + b, 0) - 2)).toBeLessThan(1e-12);
  });

  it("accepts Captum's snake_case names and refuses unknown ones", () => {
    expect(resolveMethod('riemann_trapezoid', 'test')).toBe('riemannTrapezoid');
    expect(resolveMethod(undefined, 'test')).toBe('gausslegendre');
    expect(() => resolveMethod('simpson', 'test')).toThrow(InvalidArgumentError);
    expect(() => resolveMethod('simpson', 'test')).toThrow(/Argument 'method' passed to 'test'/);
  });
});
