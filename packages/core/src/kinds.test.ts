import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { createModule, vjp } from './index.js';

describeWithBackends('maxpool2d backward', ['cpu', 'wasm'], () => {
  it('routes each window to its first maximum, ties included, on every backend', () => {
    tf.tidy(() => {
      // Sample 0 is all zeros (every window ties), sample 1 has ties among small integers.
      const x = tf.concat([tf.zeros([1, 5, 5, 2]), tf.round(tf.mul(randomTensor([1, 5, 5, 2], 51), 2))], 0);
      const xs = x.arraySync() as number[][][][];
      for (const size of [
        [2, 2],
        [1, 1],
        [3, 2],
      ]) {
        const pool = createModule('maxpool2d', {}, { size, strides: size });
        const output = pool.forward([x]);
        const gradOutput = randomTensor(output.shape, 52);
        const [actual] = vjp((v) => pool.forward(v), [x], gradOutput);
        // Literal: scan each window row-major, keep the first strict maximum.
        const R = gradOutput.arraySync() as number[][][][];
        const expected = xs.map((sample) => sample.map((row) => row.map((pixel) => pixel.map(() => 0))));
        R.forEach((sample, n) =>
          sample.forEach((row, i) =>
            row.forEach((pixel, j) =>
              pixel.forEach((r, c) => {
                let best = [i * size[0], j * size[1]];
                for (let p = 0; p < size[0]; p++)
                  for (let q = 0; q < size[1]; q++) {
                    if (xs[n][i * size[0] + p][j * size[1] + q][c] > xs[n][best[0]][best[1]][c])
                      best = [i * size[0] + p, j * size[1] + q];
                  }
                expected[n][best[0]][best[1]][c] += r;
              }),
            ),
          ),
        );
        expectTensorsClose(actual, tf.tensor(expected), { atol: 0, rtol: 0 });
      }
    });
  });

  it('has a second-order gradient (tfjs has none for its own MaxPoolGrad)', () => {
    const pool = createModule('maxpool2d', {}, { size: [2, 2] });
    const x = randomTensor([1, 4, 4, 1], 53);
    const w = tf.scalar(1.5);
    // d/dw of Σ (∂/∂x Σ pool(w·x))·x = Σ over window maxima of x, since the routing mask does not depend on w (w > 0).
    const secondOrder = tf.grad((scale: tf.Tensor) => {
      const [g] = vjp((v) => pool.forward([tf.mul(v[0], scale)]), [x], tf.ones([1, 2, 2, 1]));
      return tf.sum(tf.mul(g, x));
    })(w);
    expectTensorsClose(secondOrder, tf.sum(pool.forward([x])), { atol: 1e-5 });
  });
});
