import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import './index.js';

// On wasm this runs core's kernel (tfjs-backend-wasm has none); cpu runs tfjs's, against the same literal.
describeWithBackends('UnsortedSegmentSum', ['cpu', 'wasm'], () => {
  it('sums the rows of each segment, repeated and absent segments included, and leaks nothing', async () => {
    const x = randomTensor([5, 2, 3], 1);
    const ids = tf.tensor1d([3, 0, 3, 3, 1], 'int32');
    const xs = x.arraySync() as number[][][];
    // Literal: out[s] = Σ_{i: ids[i] = s} x[i]; segment 2 has no row and stays 0.
    const expected = [0, 1, 2, 3].map((s) =>
      [0, 1].map((j) =>
        [0, 1, 2].map((k) =>
          [0, 1, 2, 3, 4].reduce((sum, i) => sum + ([3, 0, 3, 3, 1][i] === s ? xs[i]![j]![k]! : 0), 0),
        ),
      ),
    );
    tf.tidy(() => expectTensorsClose(tf.unsortedSegmentSum(x, ids, 4), tf.tensor(expected), { atol: 1e-6 }));
    await expectNoLeaks(() => tf.unsortedSegmentSum(x, ids, 4));
    tf.dispose([x, ids]);
  });

  it('makes tf.gather differentiable in its parameter, to the second order', () => {
    tf.tidy(() => {
      const w = randomTensor([4, 2], 2);
      const ids = tf.tensor2d([[0, 2, 2]], [1, 3], 'int32');
      // d/dw Σ gather(w, ids)² = 2·w[r]·(count of r in ids); its derivative in a scale s of w is 2·count·w.
      const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.gather(v, ids))))(w);
      const counts = tf.tensor2d([[1], [0], [2], [0]]);
      expectTensorsClose(grad, tf.mul(tf.mul(w, counts), 2), { atol: 1e-6 });
      const second = tf.grad((s: tf.Tensor) =>
        tf.sum(tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.gather(tf.mul(v, s), ids))))(w)),
      )(tf.scalar(1));
      // Σ_r 2·count_r·s²·w_r differentiated in s at 1: 4·Σ count·w.
      expectTensorsClose(second, tf.mul(tf.sum(tf.mul(w, counts)), 4), { atol: 1e-5 });
    });
  });
});
