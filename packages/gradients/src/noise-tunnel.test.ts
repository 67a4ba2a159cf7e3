import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  maxAbsDiff,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, loadModel } from '@attrib/core';
import { noiseTunnel } from './noise-tunnel.js';
import { saliency } from './saliency.js';
import { integratedGradients } from './integrated-gradients.js';
import { normalRows, rowStreams } from '@attrib/core';

describeWithBackends('noiseTunnel', ['cpu'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 61);
  const targets = [0, 2, 1];

  it('with zero noise: smoothgrad is the method, smoothgradSq its square, vargrad zero', async () => {
    const plain = (await saliency(model, x, { target: targets, abs: false })).attributions;
    const run = (type: 'smoothgrad' | 'smoothgradSq' | 'vargrad') =>
      noiseTunnel(saliency, { nSamples: 3, stdevs: 0, type })(model, x, { target: targets, abs: false });
    expectTensorsClose((await run('smoothgrad')).attributions, plain, { atol: 1e-6 });
    expectTensorsClose((await run('smoothgradSq')).attributions, tf.square(plain), { atol: 1e-6 });
    expectTensorsClose((await run('vargrad')).attributions, tf.zerosLike(plain), { atol: 1e-6 });
  });

  it('equals the literal loop over noisy copies drawn from the same seed, for any nSamplesBatchSize', async () => {
    const copies: tf.Tensor[] = [];
    for (let j = 0; j < 5; j++) {
      // Copy j of sample i draws from its own stream (input 0, copy j, sample i).
      const noisy = tf.add(
        x,
        normalRows(
          x.shape,
          0.3,
          rowStreams(7, (i) => [0, j, i]),
        ),
      );
      copies.push(
        (await integratedGradients(model, noisy, { target: targets, baselines: tf.mul(x, 0.5), nSteps: 4 }))
          .attributions,
      );
    }
    const stacked = tf.stack(copies);
    const mean = tf.mean(stacked, 0);
    const variance = tf.sub(tf.mean(tf.square(stacked), 0), tf.square(mean));
    for (const nSamplesBatchSize of [1, 2, 5]) {
      const smooth = noiseTunnel(integratedGradients, {
        nSamples: 5,
        stdevs: 0.3,
        seed: 7,
        nSamplesBatchSize,
      });
      expectTensorsClose(
        (await smooth(model, x, { target: targets, baselines: tf.mul(x, 0.5), nSteps: 4 })).attributions,
        mean,
        { atol: 1e-6 },
      );
    }
    const vargrad = noiseTunnel(integratedGradients, {
      nSamples: 5,
      stdevs: 0.3,
      seed: 7,
      type: 'vargrad',
      nSamplesBatchSize: 2,
    });
    expectTensorsClose(
      (await vargrad(model, x, { target: targets, baselines: tf.mul(x, 0.5), nSteps: 4 })).attributions,
      variance,
      { atol: 1e-6 },
    );
  });

  it('is reproducible with a seed and differs across seeds', async () => {
    const run = (seed: number) =>
      noiseTunnel(saliency, { nSamples: 4, stdevs: 0.5, seed })(model, x, { target: targets });
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(maxAbsDiff(a.attributions, b.attributions)).toBe(0);
    expect(maxAbsDiff(a.attributions, c.attributions)).toBeGreaterThan(1e-4);
  });

  it('leaves no tensors behind, also when the wrapped method throws', async () => {
    const smooth = noiseTunnel(integratedGradients, {
      nSamples: 4,
      stdevs: 0.2,
      nSamplesBatchSize: 3,
      type: 'smoothgrad_sq',
    });
    const baselines = tf.zerosLike(x);
    await expectNoLeaks(() =>
      smooth(model, x, { target: targets, baselines, nSteps: 3, returnConvergenceDelta: true }),
    );
    await expectNoLeaks(() => smooth(model, x, { target: 9, nSteps: 3 }).catch(() => undefined));
  });

  it('refuses bad options with typed errors naming them', () => {
    expect(() => noiseTunnel(saliency, { nSamples: 0 })).toThrow(
      /'nSamples' passed to 'noiseTunnel' must be a positive integer/,
    );
    expect(() => noiseTunnel(saliency, { stdevs: -1 })).toThrow(InvalidArgumentError);
    expect(() => noiseTunnel(saliency, { type: 'mean' as never })).toThrow(/'type' passed to 'noiseTunnel'/);
    expect(() => noiseTunnel(saliency, { nSamplesBatchSize: 1.5 })).toThrow(/'nSamplesBatchSize'/);
    expect(() => noiseTunnel('saliency' as never)).toThrow(/'method' passed to 'noiseTunnel'/);
  });
});
