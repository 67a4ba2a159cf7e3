import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import { GraphBuilder, InvalidArgumentError, resolveBaselines, resolveInputs } from './index.js';

describeWithBackends('resolveBaselines', ['cpu', 'wasm'], () => {
  const graph = new GraphBuilder({ name: 'a', shape: [null, 2] }, { name: 'b', shape: [null, 3] })
    .concat('ab', ['a', 'b'])
    .build();
  const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const b = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const inputs = resolveInputs(graph, [a, b], { fn: 'f' });

  it('broadcasts a number, a per-sample tensor and a record entry to each input', async () => {
    const perSample = tf.tensor1d([7, 8, 9]);
    await expectNoLeaks(() => {
      const [ba, bb] = resolveBaselines({ b: perSample }, inputs, 'f');
      expect(Array.from(ba.dataSync())).toEqual([0, 0, 0, 0]);
      expect(Array.from(bb.dataSync())).toEqual([7, 8, 9, 7, 8, 9]);
      const both = resolveBaselines(2, inputs, 'f');
      expect(both.map((t) => t.shape)).toEqual([
        [2, 2],
        [2, 3],
      ]);
      expect(Array.from(both[1].dataSync())).toEqual([2, 2, 2, 2, 2, 2]);
      tf.dispose([ba, bb, ...both]);
    });
  });

  it('refuses non-finite, misshapen and misnamed baselines naming the entry, without leaking', async () => {
    const [nan, long, square] = [tf.tensor1d([0, NaN, 0]), tf.zeros([4]), tf.zeros([2, 2])];
    await expectNoLeaks(() => {
      expect(() => resolveBaselines([0, nan], inputs, 'f')).toThrow(
        /'baselines\[1\]' passed to 'f' must be finite/,
      );
      expect(() => resolveBaselines([0, long], inputs, 'f')).toThrow(/'baselines\[1\]'.*shape/);
      expect(() => resolveBaselines({ c: 1 }, inputs, 'f')).toThrow(InvalidArgumentError);
      expect(() => resolveBaselines(square, inputs, 'f')).toThrow(/one per input/);
    });
  });
});
