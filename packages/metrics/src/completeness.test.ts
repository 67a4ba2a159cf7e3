import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import { integratedGradients } from '@attrib/gradients';
import { describeWithBackends, expectNoLeaks, randomTensor, tinyModels } from '@attrib/test-utils';
import { completeness } from './completeness.js';

describeWithBackends('completeness', ['cpu'], () => {
  let model: Graph;
  let x: tf.Tensor;
  beforeAll(() => {
    model = loadModel(tinyModels.mlp());
    x = randomTensor([4, 3], 31);
  });
  afterAll(() => x.dispose());

  it('holds for Integrated Gradients, and delta is Σattr − (f(x) − f(b))', async () => {
    const target = [0, 1, 0, 1];
    const { attributions } = await integratedGradients(model, x, { target, baselines: 0.1, nSteps: 64 });
    const result = completeness(model, x, { attributions, target, baselines: 0.1, atol: 1e-3, rtol: 1e-2 });
    expect(result.holds).toBe(true);
    const f = (input: tf.Tensor) => tf.tidy(() => model.run(input).arraySync() as number[][]);
    const atX = f(x);
    const atB = f(tf.fill([4, 3], 0.1));
    const sums = tf.tidy(() => tf.sum(attributions, 1).arraySync() as number[]);
    result.delta
      .arraySync()
      .forEach((d, i) => expect(d).toBeCloseTo(sums[i] - (atX[i][target[i]] - atB[i][target[i]]), 5));
    tf.dispose([attributions, result.delta]);
  });

  it('fails for attributions that do not add up, per sample', async () => {
    const { attributions } = await integratedGradients(model, x, { target: 1, nSteps: 32 });
    const broken = tf.tidy(() => tf.add(attributions, tf.tensor2d([[0], [0.5], [0], [0]])));
    const result = completeness(model, x, { attributions: broken, target: 1, atol: 1e-3, rtol: 1e-2 });
    expect(result.complete).toEqual([true, false, true, true]);
    expect(result.holds).toBe(false);
    tf.dispose([attributions, broken, result.delta]);
  });

  it('leaks nothing and rejects mismatched attributions', async () => {
    const attributions = tf.zerosLike(x);
    await expectNoLeaks(() => completeness(model, x, { attributions, target: 0 }).delta);
    const wrong = tf.zeros([4, 2]);
    expect(() => completeness(model, x, { attributions: wrong, target: 0 })).toThrow(ShapeMismatchError);
    expect(() => completeness(model, x, { attributions, target: 0, atol: -1 })).toThrow(/atol/);
    tf.dispose([attributions, wrong]);
  });
});
