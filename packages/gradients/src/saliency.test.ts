import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, ShapeMismatchError, loadModel, type Target } from '@attrib/core';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';

describeWithBackends('saliency and inputXGradient', ['cpu'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 21);
  const targets = [2, 0, 1];
  // The target logit of one sample, evaluated alone: the literal definition.
  const logit = (sample: tf.Tensor, t: number) => model.run(sample).dataSync()[t];
  const sampleOf = (i: number) => tf.slice(x, [i], [1]);

  it('saliency is |∂f[t]/∂x| per sample (finite differences)', async () => {
    const { attributions } = await saliency(model, x, { target: targets });
    const raw = await saliency(model, x, { target: targets, abs: false });
    for (let i = 0; i < 3; i++) {
      const expected = finiteDifferenceGradient((s) => logit(s, targets[i]), sampleOf(i));
      expectTensorsClose(tf.slice(raw.attributions, [i], [1]), expected, { atol: 2e-3, rtol: 2e-2 });
      expectTensorsClose(tf.slice(attributions, [i], [1]), expected.map(Math.abs), {
        atol: 2e-3,
        rtol: 2e-2,
      });
    }
  });

  it('inputXGradient is x · ∂f[t]/∂x', async () => {
    const { attributions } = await inputXGradient(model, x, { target: targets });
    const gradient = (await saliency(model, x, { target: targets, abs: false })).attributions;
    expectTensorsClose(attributions, tf.mul(x, gradient), { atol: 1e-6 });
  });

  it('every target form equals per-sample runs', async () => {
    const perSample = await Promise.all(
      targets.map(
        async (t, i) => (await saliency(model, sampleOf(i), { target: t, abs: false })).attributions,
      ),
    );
    const expected = tf.concat(perSample, 0);
    const forms: Target[] = [
      targets,
      Int32Array.from(targets),
      tf.tensor1d(targets, 'int32'),
      (out) => tf.sum(tf.mul(out, tf.oneHot(tf.tensor1d(targets, 'int32'), 3)), 1),
    ];
    for (const target of forms)
      expectTensorsClose((await saliency(model, x, { target, abs: false })).attributions, expected, {
        atol: 1e-6,
      });
    const same = await saliency(model, x, { target: 1, abs: false });
    const sameExpected = tf.concat(
      await Promise.all(
        [0, 1, 2].map(
          async (i) => (await saliency(model, sampleOf(i), { target: 1, abs: false })).attributions,
        ),
      ),
      0,
    );
    expectTensorsClose(same.attributions, sameExpected, { atol: 1e-6 });
  });

  it('leaves no tensors behind', async () => {
    await expectNoLeaks(() => saliency(model, x, { target: targets }));
    await expectNoLeaks(() => saliency(model, x, { target: targets, abs: false }));
    await expectNoLeaks(() => inputXGradient(model, x, { target: 1 }));
  });

  it('refuses a missing or out-of-range target, NaN input and a wrong input shape', async () => {
    await expect(saliency(model, x, {})).rejects.toThrow(InvalidArgumentError);
    await expect(saliency(model, x, { target: 3 })).rejects.toThrow(
      /Argument 'target' passed to 'saliency' must be a class index in \[0, 3\)/,
    );
    await expect(inputXGradient(model, x, { target: [0, 1] })).rejects.toThrow(
      /'target' passed to 'inputXGradient'/,
    );
    const nan = tf.fill([1, 4, 4, 2], NaN);
    await expect(saliency(model, nan, { target: 0 })).rejects.toThrow(
      /'inputs' passed to 'saliency' must be finite/,
    );
    await expect(saliency(model, tf.zeros([1, 4, 4]), { target: 0 })).rejects.toThrow(ShapeMismatchError);
    await expectNoLeaks(() => saliency(model, x, { target: 3 }).catch(() => undefined));
  });
});
