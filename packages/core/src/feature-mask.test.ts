import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import {
  coalitionKeepMasks,
  groupSums,
  InvalidArgumentError,
  parseFeatureMask,
  rowKeepMasks,
  ShapeMismatchError,
  spreadGroupValues,
} from './index.js';

describeWithBackends('parseFeatureMask', ['cpu', 'wasm'], () => {
  it('accepts a mask without the batch axis ([7, 7, 3] for [N, 7, 7, 3]) and renumbers ids densely', async () => {
    // The metrics accepted this mask and perturbation refused it (ids with gaps): one meaning now.
    const ids = Array.from({ length: 147 }, (_, j) => (j % 3 === 2 ? 40 : 5 * (j % 3)));
    const raw = tf.tensor(ids, [7, 7, 3], 'int32');
    await expectNoLeaks(() => {
      const mask = parseFeatureMask(raw, [[2, 7, 7, 3]], 'f');
      expect(mask.groups).toBe(3);
      expect(mask.shapes).toEqual([[1, 7, 7, 3]]);
      // Ascending order of the given ids: 0 → 0, 5 → 1, 40 → 2.
      expect(Array.from(mask.hostIds[0].slice(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
      expect(mask.perSample).toBe(false);
      mask.dispose();
    });
    raw.dispose();
  });

  it('builds keep masks per coalition and spreads group values, shared and per sample', async () => {
    const perSample = tf.tensor2d(
      [
        [0, 0, 1],
        [1, 0, 0],
      ],
      [2, 3],
      'int32',
    );
    await expectNoLeaks(() => {
      const mask = parseFeatureMask(perSample, [[2, 3]], 'f');
      const [keep] = coalitionKeepMasks(mask, Float32Array.from([1, 0, 0, 1]), 2);
      // Coalition 0 keeps group 0, coalition 1 keeps group 1; per sample, as the mask says.
      expect(keep.shape).toEqual([2, 2, 3]);
      expect(Array.from(keep.dataSync())).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
      const [spread] = spreadGroupValues(mask, Float64Array.from([10, 20, 30, 40]), 2, [[2, 3]], 'f');
      expect(Array.from(spread.dataSync())).toEqual([10, 10, 20, 40, 30, 30]);
      expect(() => spreadGroupValues(mask, new Float64Array(2), 1, [[2, 3]], 'f')).toThrow(
        /shared by the batch/,
      );
      tf.dispose([keep, spread]);
      mask.dispose();
    });
    const shared = tf.tensor4d([0, 1, 1, 2], [1, 2, 2, 1], 'int32');
    const mask = parseFeatureMask(shared, [[1, 2, 2, 3]], 'f');
    const [spread] = spreadGroupValues(mask, Float64Array.from([1, 2, 3]), 1, [[1, 2, 2, 3]], 'f');
    // Size 1 on the channel axis: every channel of a pixel shares the pixel's group.
    expect(Array.from(spread.dataSync())).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3]);
    tf.dispose([shared, spread]);
    mask.dispose();
    perSample.dispose();
  });

  it('joins equal ids across inputs into one feature and numbers unmasked inputs after the given ids', () => {
    const image = tf.tensor2d([[3, 3, 7]], [1, 3], 'int32');
    const mask = parseFeatureMask(
      [image, null],
      [
        [2, 3],
        [2, 2],
      ],
      'f',
    );
    expect(mask.groups).toBe(4);
    expect(mask.hostIds.map((ids) => Array.from(ids))).toEqual([
      [0, 0, 1],
      [2, 3],
    ]);
    const attributions = [
      tf.tensor2d([
        [1, 2, 4],
        [8, 16, 32],
      ]),
      tf.tensor2d([
        [100, 200],
        [300, 400],
      ]),
    ];
    // A literal sum per sample and group.
    expect(
      groupSums(mask, attributions, [
        [2, 3],
        [2, 2],
      ]).map((row) => Array.from(row)),
    ).toEqual([
      [3, 4, 100, 200],
      [24, 32, 300, 400],
    ]);
    const shared = parseFeatureMask(
      [image, tf.tensor2d([[7, 3]], [1, 2], 'int32')],
      [
        [2, 3],
        [2, 2],
      ],
      'f',
    );
    expect(shared.groups).toBe(2);
    expect(Array.from(shared.hostIds[1])).toEqual([1, 0]);
    tf.dispose([image, ...attributions, ...shared.ids]);
    mask.dispose();
  });

  it.each([
    ['NaN ids', () => tf.tensor1d([0, NaN, 1]), InvalidArgumentError, /featureMask.*finite group ids.*NaN/],
    ['∞ ids', () => tf.tensor1d([0, Infinity, 1]), InvalidArgumentError, /featureMask.*finite group ids/],
    [
      'fractional ids',
      () => tf.tensor1d([0, 0.5, 1]),
      InvalidArgumentError,
      /non-negative integer group ids/,
    ],
    ['negative ids', () => tf.tensor1d([0, -1, 1]), InvalidArgumentError, /non-negative integer group ids/],
    [
      'a wrong shape',
      () => tf.tensor1d([0, 1]),
      ShapeMismatchError,
      /featureMask.*broadcastable to the input \[2,3\]/,
    ],
    [
      'a non-tensor',
      () => [[0, 1, 2]] as unknown as tf.Tensor,
      InvalidArgumentError,
      /featureMask.*integer tensor/,
    ],
  ])('refuses %s, naming the argument and the function', async (_, make, type, message) => {
    const mask = make();
    await expectNoLeaks(() => {
      const call = () => parseFeatureMask(mask, [[2, 3]], 'featureAblation');
      expect(call).toThrow(type);
      expect(call).toThrow(message);
      expect(call).toThrow(/'featureAblation'/);
    });
    tf.dispose(mask as tf.Tensor);
  });

  it('refuses a disposed mask and a wrong number of masks for several inputs', () => {
    const disposed = tf.tensor1d([0, 1, 2]);
    disposed.dispose();
    expect(() => parseFeatureMask(disposed, [[2, 3]], 'f')).toThrow(
      /a live tensor, but got 'a disposed tensor'/,
    );
    const one = tf.tensor1d([0, 1, 2]);
    expect(() =>
      parseFeatureMask(
        one,
        [
          [2, 3],
          [2, 2],
        ],
        'f',
      ),
    ).toThrow(/one mask per explained input \(2/);
    expect(() =>
      parseFeatureMask(
        [one],
        [
          [2, 3],
          [2, 2],
        ],
        'f',
      ),
    ).toThrow(/one mask per explained input/);
    expect(() =>
      parseFeatureMask(
        [one, one],
        [
          [2, 3],
          [2, 2],
        ],
        'f',
      ),
    ).toThrow(/featureMask\[1\]/);
    one.dispose();
  });
});

describeWithBackends('rowKeepMasks', ['cpu', 'wasm'], () => {
  it('keeps the flagged groups of each row, reading a per-sample mask at the row’s sample', async () => {
    const ids = tf.tensor2d(
      [
        [0, 1, 1],
        [1, 1, 0],
      ],
      [2, 3],
      'int32',
    );
    await expectNoLeaks(() => {
      const mask = parseFeatureMask(ids, [[2, 3]], 'f');
      // Row 0: sample 1 keeping group 0; row 1: sample 0 keeping group 0; row 2: sample 1 keeping both.
      const [keep] = rowKeepMasks(mask, Float32Array.from([1, 0, 1, 0, 1, 1]), Int32Array.from([1, 0, 1]));
      expect(keep.shape).toEqual([3, 3]);
      expect(Array.from(keep.dataSync())).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 1]);
      keep.dispose();
      mask.dispose();
    });
    ids.dispose();
  });
});
