import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, loadModel } from '@attrib/core';
import { occlusion } from './index.js';

const cnn = loadModel(tinyModels.cnn());
const mlp = loadModel(tinyModels.mlp());
const column = (graph: typeof cnn, input: tf.Tensor, t: number) =>
  tf.tidy(() => tf.squeeze(tf.slice(graph.run(input), [0, t], [-1, 1]), [1]).arraySync() as number[]);

describeWithBackends('occlusion', ['cpu'], () => {
  const x = randomTensor([2, 4, 4, 2], 31);

  it('one window covering the whole input gives f(x) − f(baseline) everywhere', async () => {
    const { attributions } = await occlusion(cnn, x, {
      target: 1,
      slidingWindowShapes: [4, 4, 2],
      baselines: 0.5,
    });
    const fx = column(cnn, x, 1);
    const fb = column(cnn, tf.fill(x.shape, 0.5), 1);
    const expected = tf.tidy(() =>
      tf.mul(tf.ones(x.shape), tf.reshape(tf.tensor(fx.map((v, n) => v - fb[n])), [2, 1, 1, 1])),
    );
    expectTensorsClose(attributions, expected, { atol: 1e-5 });
  });

  it('averages the windows covering each element, cropping at the edge', async () => {
    // 3 features, window 2, stride 2: windows {0,1} and {2} (cropped); feature 1 is covered once.
    const input = randomTensor([4, 3], 8);
    const data = input.arraySync() as number[][];
    const { attributions } = await occlusion(mlp, input, {
      target: 0,
      slidingWindowShapes: [2],
      strides: [2],
      perturbationsPerEval: 2,
    });
    const f = (rows: number[][]) => column(mlp, tf.tensor2d(rows), 0);
    const fx = f(data);
    const first = f(data.map((r) => [0, 0, r[2]]));
    const second = f(data.map((r) => [r[0], r[1], 0]));
    expectTensorsClose(
      attributions,
      tf.tensor2d(fx.map((v, n) => [v - first[n], v - first[n], v - second[n]])),
      { atol: 1e-6 },
    );
    // Window 2, stride 1: windows {0,1} and {1,2}; feature 1 is the mean of both.
    const overlapping = await occlusion(mlp, input, { target: 0, slidingWindowShapes: [2] });
    const last = f(data.map((r) => [r[0], 0, 0]));
    const expected = fx.map((v, n) => [v - first[n], (v - first[n] + v - last[n]) / 2, v - last[n]]);
    expectTensorsClose(overlapping.attributions, tf.tensor2d(expected), { atol: 1e-6 });
  });

  it('does not depend on perturbationsPerEval and leaks nothing', async () => {
    const options = { target: [0, 2], slidingWindowShapes: [3, 3, 1], strides: [2, 2, 1], baselines: 0.25 };
    const a = await occlusion(cnn, x, options);
    await expectNoLeaks(async () => {
      const b = await occlusion(cnn, x, { ...options, perturbationsPerEval: 5 });
      expectTensorsClose(b.attributions, a.attributions, { atol: 1e-6 });
      return b;
    });
  });

  it('rejects bad windows and strides with typed errors', async () => {
    const badBaseline = tf.zeros([1, 2]);
    await expectNoLeaks(async () => {
      await expect(occlusion(cnn, x, { target: 0, slidingWindowShapes: [5, 1, 1] })).rejects.toThrow(
        /slidingWindowShapes.*occlusion/,
      );
      await expect(occlusion(cnn, x, { target: 0, slidingWindowShapes: [2, 2] })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(
        occlusion(cnn, x, { target: 0, slidingWindowShapes: [2, 2, 1], strides: [0, 1, 1] }),
      ).rejects.toThrow(/strides/);
      await expect(
        occlusion(cnn, x, { target: 0, slidingWindowShapes: [2, 2, 1], baselines: badBaseline }),
      ).rejects.toThrow(/baselines/);
    });
  });
});

describeWithBackends('occlusion smoke', ['wasm'], () => {
  it('whole-input window equals f(x) − f(0)', async () => {
    const x = randomTensor([2, 3], 4);
    const { attributions } = await occlusion(mlp, x, { target: 1, slidingWindowShapes: [3] });
    const fx = column(mlp, x, 1);
    const f0 = column(mlp, tf.zeros([2, 3]), 1);
    expectTensorsClose(attributions, tf.tensor2d(fx.map((v, n) => [v - f0[n], v - f0[n], v - f0[n]])), {
      atol: 1e-5,
    });
  });
});
