import { approximation, gaussLegendre, resolveMethod } from './approximation.js';
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

  it("accepts Captum's snake_case names and refuses unknown ones", () => {
    expect(resolveMethod('riemann_trapezoid', 'test')).toBe('riemannTrapezoid');
    expect(resolveMethod(undefined, 'test')).toBe('gausslegendre');
    expect(() => resolveMethod('simpson', 'test')).toThrow(InvalidArgumentError);
    expect(() => resolveMethod('simpson', 'test')).toThrow(/Argument 'method' passed to 'test'/);
  });
});
