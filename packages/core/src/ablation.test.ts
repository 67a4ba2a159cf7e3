import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  expectTypedError,
} from '@attrib/test-utils';
import { ablationReplacement, GraphBuilder } from './index.js';

const W = tf.tensor2d([
  [1, -2, 0.5],
  [0.25, 3, -1],
]);
const b = tf.tensor1d([0.1, 0.2, -0.3]);
const graph = new GraphBuilder({ name: 'x', shape: [null, 2] })
  .linear('fc', { weight: W, bias: b })
  .relu('act')
  .build();

describeWithBackends('ablationReplacement', ['cpu', 'wasm'], () => {
  it('zero, the mean of the node tensor over reference inputs (output or input side), or a value', async () => {
    const reference = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
      [3, -2],
    ]);
    await expectNoLeaks(() => {
      expect(ablationReplacement(graph, { node: 'fc' }, 'f')).toBe(0);
      expect(ablationReplacement(graph, { node: 'fc', mode: 'value', value: 2.5 }, 'f')).toBe(2.5);
      // The mean over the reference rows of x·W + b, by independent tfjs ops.
      const mean = ablationReplacement(graph, { node: 'fc', mode: 'mean', reference }, 'f') as tf.Tensor;
      const expected = tf.tidy(() => tf.mean(tf.add(tf.matMul(reference, W), b), 0, true));
      expectTensorsClose(mean, expected, { atol: 1e-6 });
      // The tensor entering 'act' is fc's output: the same mean.
      const atInput = ablationReplacement(
        graph,
        { node: 'act', at: 'input', mode: 'mean', reference },
        'f',
      ) as tf.Tensor;
      expectTensorsClose(atInput, expected, { atol: 1e-6 });
      const value = tf.tensor1d([1, 2, 3]);
      const shaped = ablationReplacement(graph, { node: 'fc', mode: 'value', value }, 'f', [3]) as tf.Tensor;
      expect(shaped.shape).toEqual([1, 3]);
      tf.dispose([mean, expected, atInput, value, shaped]);
    });
    reference.dispose();
  });

  it('refuses NaN values, missing references, wrong shapes and unknown modes with typed errors', async () => {
    const wrong = tf.tensor1d([1, 2]);
    const nan = tf.tensor1d([1, NaN, 3]);
    await expectTypedError('f', 'value', () =>
      ablationReplacement(graph, { node: 'fc', mode: 'value', value: NaN }, 'f'),
    );
    await expectTypedError('f', 'value', () =>
      ablationReplacement(graph, { node: 'fc', mode: 'value', value: nan }, 'f', [3]),
    );
    await expectTypedError('f', 'value', () =>
      ablationReplacement(graph, { node: 'fc', mode: 'value', value: wrong }, 'f', [3]),
    );
    await expectTypedError('f', 'reference', () =>
      ablationReplacement(graph, { node: 'fc', mode: 'mean' }, 'f'),
    );
    await expectTypedError('f', 'mode', () =>
      ablationReplacement(graph, { node: 'fc', mode: 'median' as never }, 'f'),
    );
    await expectTypedError('f', 'at', () =>
      ablationReplacement(graph, { node: 'fc', at: 'inside' as never }, 'f'),
    );
    tf.dispose([wrong, nan]);
  });
});
