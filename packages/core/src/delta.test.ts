import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import { GraphBuilder, completenessGap, convergenceDelta } from './index.js';

describeWithBackends('convergence delta', ['cpu', 'wasm'], () => {
  it('is Σ over every input of Σ attributions minus f(x)[t] − f(b)[t]', async () => {
    // f(a, b) = [a0 + 2 a1 + 3 b0, -a0]: linear, so values are exact in float32.
    const graph = new GraphBuilder({ name: 'a', shape: [null, 2] }, { name: 'b', shape: [null, 1] })
      .concat('ab', ['a', 'b'])
      .linear('out', { weight: tf.tensor2d([1, -1, 2, 0, 3, 0], [3, 2]) })
      .build();
    const xs = [tf.tensor2d([1, 1, 2, 0], [2, 2]), tf.tensor2d([1, 2], [2, 1])];
    const bs = [tf.zeros([2, 2]), tf.zeros([2, 1])];
    const attributions = [tf.tensor2d([1, 1, 1, 1], [2, 2]), tf.tensor2d([0, 0], [2, 1])];
    await expectNoLeaks(() => {
      const delta = convergenceDelta(graph, xs, bs, [0, 1], attributions, 'f');
      // Sample 0, target 0: 2 − (1 + 2 + 3) = −4; sample 1, target 1: 2 − (−2) = 4.
      expect(Array.from(delta.dataSync())).toEqual([-4, 4]);
      return delta;
    });
    const gap = completenessGap(attributions, tf.tensor1d([3, 1]), tf.tensor1d([1, 1]));
    expect(Array.from(gap.dataSync())).toEqual([0, 2]);
  });
});
