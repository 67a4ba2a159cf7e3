import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, randomTensor, tinyModels } from '@attrib/test-utils';
import { gradientShap, noiseTunnel, saliency } from './index.js';

/**
 * Random draws depend on the seed and the sample, never on the batch size or the chunking: a sample
 * explained alone gets what it gets inside a batch, whatever `internalBatchSize` / `nSamplesBatchSize`.
 */
describeWithBackends('seeded gradient methods', ['cpu', 'wasm'], () => {
  const model = loadModel(tinyModels.mlp());
  const x = randomTensor([3, 3], 21);
  const first = tf.slice(x, 0, 1);
  const distribution = randomTensor([4, 3], 22);

  it('gradientShap: the same draws alone, in a batch, and in any chunking', async () => {
    const run = async (inputs: tf.Tensor, internalBatchSize?: number) =>
      (
        await gradientShap(model, inputs, {
          baselines: distribution,
          target: 1,
          nSamples: 6,
          stdevs: 0.2,
          internalBatchSize,
        })
      ).attributions as tf.Tensor;
    const whole = await run(x);
    // internalBatchSize counts samples × draws: 6 rows are 2 draws of the 3 samples per pass.
    expectTensorsClose(await run(x, 6), whole, { atol: 1e-6, rtol: 1e-5 });
    expectTensorsClose(await run(first, 1), tf.slice(whole, 0, 1), { atol: 1e-6, rtol: 1e-5 });
    // Seed 0 is a seed; another seed draws otherwise.
    const other = (
      await gradientShap(model, x, { baselines: distribution, target: 1, nSamples: 6, stdevs: 0.2, seed: 1 })
    ).attributions as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(other, whole))).dataSync()[0])).toBeGreaterThan(1e-4);
  });

  it('noiseTunnel: the same noise alone, in a batch, and for any nSamplesBatchSize', async () => {
    const run = async (inputs: tf.Tensor, nSamplesBatchSize?: number) =>
      (
        await noiseTunnel(saliency, { nSamples: 5, stdevs: 0.5, type: 'vargrad', nSamplesBatchSize })(
          model,
          inputs,
          {
            target: 1,
          },
        )
      ).attributions as tf.Tensor;
    const whole = await run(x);
    expectTensorsClose(await run(x, 2), whole, { atol: 1e-6, rtol: 1e-5 });
    expectTensorsClose(await run(first, 3), tf.slice(whole, 0, 1), { atol: 1e-6, rtol: 1e-5 });
  });
});
