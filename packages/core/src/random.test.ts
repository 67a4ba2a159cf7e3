import { describeWithBackends } from '@attrib/test-utils';
import { normalTensor, randomPermutation, seededRandom, uniformTensor } from './index.js';

describeWithBackends('seededRandom', ['cpu'], () => {
  it('repeats with the seed, differs across seeds, and has the moments it claims', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(draws);
    expect(Array.from({ length: 5 }, seededRandom(8))).not.toEqual(draws);
    const normals = Array.from(normalTensor([20000], 2, seededRandom(1), 3).dataSync());
    const mean = normals.reduce((s, v) => s + v, 0) / normals.length;
    const variance = normals.reduce((s, v) => s + (v - mean) ** 2, 0) / normals.length;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
    const uniforms = Array.from(uniformTensor([1000], seededRandom(2), -1, 1).dataSync());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...uniforms)).toBeLessThan(1);
  });

  it('draws permutations', () => {
    const order = randomPermutation(10, seededRandom(3));
    expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(order)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
