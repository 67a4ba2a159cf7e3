import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks, randomTensor } from '@attrib/test-utils';
import { GraphBuilder, InvalidArgumentError } from '@attrib/core';
import { kernelShap } from './index.js';

/**
 * KernelSHAP's attributions must sum to f(x) − f(baseline) (efficiency): the reference gives the full
 * and the empty coalition a very large weight, which pins the surrogate to both ends. A non-linear toy
 * with interactions, where unweighted coalitions miss that sum.
 */
const model = new GraphBuilder({ name: 'x' })
  .linear('fc1', { weight: randomTensor([6, 8], 1, -2, 2), bias: randomTensor([8], 2) })
  .relu('r')
  .linear('fc2', { weight: randomTensor([8, 3], 3, -2, 2) })
  .build();

function efficiencyGap(attributions: tf.Tensor, x: tf.Tensor, baseline: tf.Tensor, target: number): number[] {
  return tf.tidy(() => {
    const fx = tf.slice(model.run(x), [0, target], [-1, 1]);
    const fb = tf.slice(model.run(tf.broadcastTo(baseline, x.shape)), [0, target], [-1, 1]);
    const sums = tf.sum(attributions, 1, true);
    return Array.from(tf.abs(tf.sub(sums, tf.sub(fx, fb))).dataSync());
  });
}

describeWithBackends('kernelShap', ['cpu', 'wasm'], () => {
  const x = randomTensor([3, 6], 4, -2, 2);
  const baseline = randomTensor([1, 6], 5);

  for (const nSamples of [60, 25, 4]) {
    it(`attributions sum to f(x) − f(baseline) (nSamples ${nSamples}, ${nSamples < 6 ? 'fewer than the groups' : 'more than the groups'})`, async () => {
      const { attributions } = await kernelShap(model, x, {
        target: 2,
        baselines: baseline,
        nSamples,
        seed: 3,
      });
      for (const gap of efficiencyGap(attributions as tf.Tensor, x, baseline, 2))
        expect(gap).toBeLessThan(1e-3);
    });
  }

  it('runs with its defaults on more groups than default samples (64 > 25)', async () => {
    const wide = new GraphBuilder({ name: 'x' })
      .linear('fc', { weight: randomTensor([64, 2], 6) })
      .relu('r')
      .build();
    const input = randomTensor([2, 64], 7);
    const { attributions } = await kernelShap(wide, input, { target: 0 });
    const fx = tf.tidy(() => tf.slice(wide.run(input), [0, 0], [-1, 1]).dataSync());
    const fb = tf.tidy(() => tf.slice(wide.run(tf.zerosLike(input)), [0, 0], [-1, 1]).dataSync());
    const sums = tf.tidy(() => tf.sum(attributions as tf.Tensor, 1).dataSync());
    for (let n = 0; n < 2; n++) expect(Math.abs(sums[n] - (fx[n] - fb[n]))).toBeLessThan(1e-3);
    await expectNoLeaks(() => kernelShap(wide, input, { target: 0 }));
  });

  it('refuses fewer than the two end coalitions, naming nSamples', async () => {
    await expect(kernelShap(model, x, { target: 0, nSamples: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(kernelShap(model, x, { target: 0, nSamples: 1 })).rejects.toThrow(/nSamples.*kernelShap.*2/);
  });
});
