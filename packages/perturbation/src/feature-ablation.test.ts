import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  maxAbsDiff,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, ShapeMismatchError, loadModel } from '@attrib/core';
import { featureAblation, neuronKnockout } from './index.js';

const cnn = loadModel(tinyModels.cnn());

/** Captum's definition, one group and one forward pass at a time, on plain arrays. */
function literalAblation(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  groupOf: (n: number, i: number) => number,
  baseline: (n: number, i: number) => number,
): Float32Array {
  const [batch] = x.shape;
  const size = x.size / batch;
  const data = x.dataSync();
  const reference = f(x).dataSync();
  const result = new Float32Array(x.size);
  const groups = new Set<number>();
  for (let n = 0; n < batch; n++) for (let i = 0; i < size; i++) groups.add(groupOf(n, i));
  for (const g of groups) {
    const ablated = Float32Array.from(data, (v, flat) =>
      groupOf(Math.floor(flat / size), flat % size) === g
        ? baseline(Math.floor(flat / size), flat % size)
        : v,
    );
    const out = f(tf.tensor(ablated, x.shape)).dataSync();
    for (let flat = 0; flat < x.size; flat++) {
      const n = Math.floor(flat / size);
      if (groupOf(n, flat % size) === g) result[flat] = reference[n] - out[n];
    }
  }
  return result;
}

const targetColumn = (column: number[]) => (x: tf.Tensor) =>
  tf.tidy(() => {
    const out = cnn.run(x) as tf.Tensor2D;
    return tf.sum(tf.mul(out, tf.oneHot(column, out.shape[1])), 1);
  });

describeWithBackends('featureAblation', ['cpu'], () => {
  const x = randomTensor([3, 4, 4, 2], 21);
  const target = [0, 2, 1];
  // Quadrants of the 4×4 image, shared by both channels: 4 groups.
  const quadrant = (i: number) => (Math.floor(i / 16) >= 2 ? 2 : 0) + (Math.floor((i % 8) / 2) >= 2 ? 1 : 0);
  const mask = tf.tensor(
    Array.from({ length: 16 }, (_, p) => quadrant(p * 2)),
    [1, 4, 4, 1],
    'int32',
  );

  it('matches the one-group-at-a-time definition (shared mask, scalar baseline)', async () => {
    const { attributions } = await featureAblation(cnn, x, { target, featureMask: mask, baselines: 0.25 });
    const expected = literalAblation(
      targetColumn(target),
      x,
      (_, i) => quadrant(i),
      () => 0.25,
    );
    expectTensorsClose(attributions, tf.tensor(expected, x.shape), { atol: 1e-5 });
  });

  it('takes per-sample masks and per-sample baselines; no mask = every scalar alone', async () => {
    const perSample = tf.tensor(
      Array.from({ length: 3 * 32 }, (_, k) => (Math.floor(k / 32) + k) % 3),
      [3, 4, 4, 2],
      'int32',
    );
    const baselines = randomTensor([3, 4, 4, 2], 5);
    const b = baselines.dataSync();
    const { attributions } = await featureAblation(cnn, x, {
      target,
      featureMask: perSample,
      baselines,
      perturbationsPerEval: 2,
    });
    const expected = literalAblation(
      targetColumn(target),
      x,
      (n, i) => (n + n * 32 + i) % 3,
      (n, i) => b[n * 32 + i],
    );
    expectTensorsClose(attributions, tf.tensor(expected, x.shape), { atol: 1e-5 });
    const single = await featureAblation(cnn, x, { target });
    expectTensorsClose(
      single.attributions,
      tf.tensor(
        literalAblation(
          targetColumn(target),
          x,
          (_, i) => i,
          () => 0,
        ),
        x.shape,
      ),
      { atol: 1e-5 },
    );
  });

  it('does not depend on perturbationsPerEval and reports progress in rows per chunk', async () => {
    const progress: number[] = [];
    const one = await featureAblation(cnn, x, { target, perturbationsPerEval: 1 });
    const many = await featureAblation(cnn, x, {
      target,
      perturbationsPerEval: 7,
      onProgress: (p) => progress.push(p.done),
    });
    expectTensorsClose(many.attributions, one.attributions, { atol: 1e-6 });
    // One row = one sample through one forward: 7 copies of the 3-sample batch per pass, 32 groups.
    expect(progress).toEqual([21, 42, 63, 84, 96]);
  });

  it('explains a forward that returns one scalar per batch', async () => {
    const total = (input: tf.Tensor) => tf.sum(cnn.run(input));
    const { attributions } = await featureAblation(total, x, { featureMask: mask });
    expect(attributions.shape).toEqual([1, 4, 4, 2]);
    const whole = (input: tf.Tensor) => tf.reshape(total(input), [1]);
    // One "sample" whose value is the batch total: ablating a group in all samples at once.
    const expected = literalAblation(
      (b) => whole(b),
      x,
      (_, i) => quadrant(i),
      () => 0,
    );
    const perElement = tf.tensor(expected, x.shape);
    expectTensorsClose(attributions, tf.slice(perElement, [0, 0, 0, 0], [1, -1, -1, -1]), { atol: 1e-4 });
    await expect(featureAblation(total, x, { perturbationsPerEval: 2 })).rejects.toThrow(
      /perturbationsPerEval/,
    );
  });

  it('runs every pass with the per-call hooks (a knock-out composes)', async () => {
    const knockout = neuronKnockout(cnn, { node: 'relu', units: [0, 4, 5, 11] });
    const hooked = await featureAblation(cnn, x, {
      target,
      featureMask: mask,
      hooks: [knockout.hook],
      perturbationsPerEval: 3,
    });
    const asFunction = (input: tf.Tensor) => cnn.run(input, { hooks: [knockout.hook] });
    const expected = await featureAblation(asFunction, x, { target, featureMask: mask });
    expectTensorsClose(hooked.attributions, expected.attributions, { atol: 1e-6 });
    const plain = await featureAblation(cnn, x, { target, featureMask: mask });
    expect(maxAbsDiff(plain.attributions, hooked.attributions)).toBeGreaterThan(1e-4);
    knockout.dispose();
    await expect(featureAblation(asFunction, x, { target, hooks: [] })).rejects.toThrow(/hooks/);
  });

  it('leaks nothing, also when it throws', async () => {
    await expectNoLeaks(() =>
      featureAblation(cnn, x, { target, featureMask: mask, perturbationsPerEval: 3 }),
    );
    const badBaseline = tf.zeros([2, 2]);
    await expectNoLeaks(async () => {
      await expect(
        featureAblation(cnn, x, { target, featureMask: mask, baselines: badBaseline }),
      ).rejects.toThrow(ShapeMismatchError);
    });
    await expectNoLeaks(async () => {
      await expect(featureAblation(cnn, x, { target, perturbationsPerEval: 0 })).rejects.toThrow(
        /perturbationsPerEval/,
      );
    });
    expect(cnn.hooks).toHaveLength(0);
  });

  it('reads group ids with gaps as the dense ids in the same order (core: one meaning of featureMask)', async () => {
    // Refused here before, accepted by the metrics: now both read ids 0, 2 as groups 0, 1.
    const gaps = tf.tile(tf.tensor([0, 2, 2, 0], [1, 2, 2, 1]), [1, 2, 2, 1]);
    const dense = tf.tile(tf.tensor([0, 1, 1, 0], [1, 2, 2, 1]), [1, 2, 2, 1]);
    const a = await featureAblation(cnn, x, { target, featureMask: gaps });
    const b = await featureAblation(cnn, x, { target, featureMask: dense });
    expectTensorsClose(a.attributions, b.attributions, { atol: 0 });
    tf.dispose([gaps, dense, a.attributions, b.attributions]);
  });

  it('rejects bad input with typed errors that name the argument', async () => {
    await expect(featureAblation(cnn, x, { target, featureMask: tf.zeros([1, 3, 4, 1]) })).rejects.toThrow(
      ShapeMismatchError,
    );
    await expect(
      featureAblation(cnn, x, { target, featureMask: tf.fill([1, 4, 4, 2], 0.5) }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(featureAblation(cnn, x, { target: [0, 9, 1] })).rejects.toThrow(/target/);
    await expect(featureAblation(cnn, x, {})).rejects.toThrow(/target/);
    await expect(featureAblation(cnn, tf.fill([3, 4, 4, 2], NaN), { target })).rejects.toThrow(/inputs/);
    await expect(featureAblation(cnn, tf.zeros([3, 4, 4]), { target })).rejects.toThrow(ShapeMismatchError);
    await expect(featureAblation(cnn, x, { target, baselines: Infinity })).rejects.toThrow(/baselines/);
  });
});

describeWithBackends('featureAblation smoke', ['wasm'], () => {
  it('runs batched and agrees with the unbatched run', async () => {
    const x = randomTensor([2, 4, 4, 2], 3);
    const a = await featureAblation(cnn, x, { target: 1, perturbationsPerEval: 8 });
    const b = await featureAblation(cnn, x, { target: 1 });
    expectTensorsClose(a.attributions, b.attributions, { atol: 1e-5 });
  });
});
