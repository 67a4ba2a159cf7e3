import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, randomTensor } from '@attrib/test-utils';
import { complexity, sparseness } from './sparseness.js';

/** Gini from its definition: mean absolute difference over all pairs / (2 · mean). */
function literalGini(values: number[]): number {
  const x = values.map(Math.abs);
  const n = x.length;
  let pairs = 0;
  for (const a of x) for (const b of x) pairs += Math.abs(a - b);
  return pairs / (2 * n * x.reduce((s, v) => s + v, 0));
}

describeWithBackends('sparseness and complexity', ['cpu'], () => {
  it('gives 1 − 1/n for a one-hot explanation and 0 for a uniform one', () => {
    const n = 7;
    const rows = tf.tensor2d([
      [0, 0, 3, 0, 0, 0, 0],
      [2, 2, 2, 2, 2, 2, 2],
    ]);
    const gini = sparseness(rows).arraySync();
    expect(gini[0]).toBeCloseTo(1 - 1 / n, 6);
    expect(gini[1]).toBeCloseTo(0, 6);
    const entropy = complexity(rows).arraySync();
    expect(entropy[0]).toBeCloseTo(0, 6);
    expect(entropy[1]).toBeCloseTo(Math.log(n), 6);
    rows.dispose();
  });

  it('matches the pairwise definition of the Gini index on random signed data', () => {
    const x = randomTensor([3, 2, 5], 11);
    const gini = sparseness(x).arraySync();
    const rows = tf.tidy(() => tf.reshape(x, [3, 10]).arraySync()) as number[][];
    rows.forEach((row, i) => expect(gini[i]).toBeCloseTo(literalGini(row), 5));
    x.dispose();
  });

  it('leaks nothing and rejects unbatched input', async () => {
    const x = randomTensor([2, 4], 3);
    await expectNoLeaks(() => [sparseness(x), complexity(x)]);
    const scalarRows = tf.tensor1d([1, 2]);
    expect(() => sparseness(scalarRows)).toThrow(InvalidArgumentError);
    expect(() => complexity(scalarRows)).toThrow(/complexity/);
    tf.dispose([x, scalarRows]);
  });
});
