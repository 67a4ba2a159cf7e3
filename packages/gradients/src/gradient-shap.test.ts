import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  maxAbsDiff,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import { gradientShap } from './gradient-shap.js';
import { integratedGradients } from './integrated-gradients.js';
import { seededRandom, streamSeed } from '@attrib/core';

/** Literal GradientShap: every draw in the generator's order, one sample and one tf.grad at a time. */
function slowGradientShap(
  model: Graph,
  x: tf.Tensor,
  distribution: tf.Tensor,
  targets: number[],
  nSamples: number,
  stdev: number,
  seed: number,
): tf.Tensor {
  const [batch, ...rest] = x.shape;
  const features = rest.reduce((a, b) => a * b, 1);
  let total = tf.zerosLike(x);
  for (let j = 0; j < nSamples; j++) {
    // Draw j of sample i has its own stream: its noise, then the baseline index, then α.
    const streams = Array.from({ length: batch }, (_, i) => seededRandom(streamSeed(seed, j, i)));
    const noise = streams.flatMap((random) =>
      Array.from({ length: features }, () => Math.fround(stdev * random.normal())),
    );
    const picks = streams.map((random) => Math.floor(random.uniform() * distribution.shape[0]));
    const alphas = streams.map((random) => Math.fround(random.uniform()));
    const rows = targets.map((t, i) => {
      const noisy = tf.add(
        tf.slice(x, [i], [1]),
        tf.tensor(noise.slice(i * features, (i + 1) * features), [1, ...rest]),
      );
      const b = tf.slice(distribution, [picks[i]], [1]);
      const point = tf.add(b, tf.mul(alphas[i], tf.sub(noisy, b)));
      const g = tf.grad((p: tf.Tensor) => tf.sum(tf.slice(model.forward(p).output, [0, t], [1, 1])))(point);
      return tf.mul(g, tf.sub(noisy, b));
    });
    total = tf.add(total, tf.concat(rows, 0));
  }
  return tf.div(total, nSamples);
}

describeWithBackends('gradientShap', ['cpu'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 71);
  const distribution = randomTensor([4, 4, 4, 2], 72, -0.5, 0.5);
  const targets = [1, 0, 2];

  it('equals the literal per-draw computation, for any internalBatchSize', async () => {
    const expected = slowGradientShap(model, x, distribution, targets, 4, 0.1, 3);
    for (const internalBatchSize of [undefined, 3, 7]) {
      const { attributions } = await gradientShap(model, x, {
        baselines: distribution,
        target: targets,
        nSamples: 4,
        stdevs: 0.1,
        seed: 3,
        internalBatchSize,
      });
      expectTensorsClose(attributions, expected, { atol: 1e-5 });
    }
  });

  it('with one baseline on a linear model equals integrated gradients', async () => {
    const linear = loadModel({ ...tinyModels.mlp(), nodes: [tinyModels.mlp().nodes[0]], output: 'fc1' });
    const xs = randomTensor([5, 3], 73);
    const b = randomTensor([1, 3], 74);
    const shap = await gradientShap(linear, xs, {
      baselines: b,
      target: 2,
      nSamples: 3,
      seed: 1,
      returnConvergenceDelta: true,
    });
    // On an affine model every single-point estimate is complete.
    expect(shap.delta!.shape).toEqual([15]);
    expectTensorsClose(shap.delta!, tf.zeros([15]), { atol: 1e-5 });
    const ig = await integratedGradients(linear, xs, { baselines: b, target: 2, nSteps: 2 });
    expectTensorsClose(shap.attributions, ig.attributions, { atol: 1e-5 });
  });

  it('is reproducible with a seed and differs across seeds', async () => {
    const run = (seed: number) => gradientShap(model, x, { baselines: distribution, target: targets, seed });
    expect(maxAbsDiff((await run(5)).attributions, (await run(5)).attributions)).toBe(0);
    expect(maxAbsDiff((await run(5)).attributions, (await run(6)).attributions)).toBeGreaterThan(1e-4);
  });

  it('leaves no tensors behind and refuses bad arguments with typed errors', async () => {
    await expectNoLeaks(() =>
      gradientShap(model, x, {
        returnConvergenceDelta: true,
        baselines: distribution,
        target: targets,
        nSamples: 3,
        internalBatchSize: 4,
        stdevs: 0.1,
      }),
    );
    await expectNoLeaks(() =>
      gradientShap(model, x, { baselines: distribution, target: 8 }).catch(() => undefined),
    );
    await expect(gradientShap(model, x, { baselines: tf.zeros([4, 4, 2]), target: 0 })).rejects.toThrow(
      ShapeMismatchError,
    );
    await expect(gradientShap(model, x, { target: 0 } as never)).rejects.toThrow(
      /'baselines' passed to 'gradientShap'/,
    );
    await expect(gradientShap(model, x, { baselines: distribution, target: 0, nSamples: 0 })).rejects.toThrow(
      /'nSamples'/,
    );
    await expect(
      gradientShap(model, x, { baselines: distribution, target: 0, internalBatchSize: 2 }),
    ).rejects.toThrow(/'internalBatchSize' passed to 'gradientShap'/);
  });
});
