import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { loadModel } from '@attrib/core';
import { featurePermutation, kernelShap, lime, shapleyValues } from './index.js';

// f(x) = x·w + 0.5, scalar output per sample: every surrogate of a linear model is exact.
const w = tf.tensor2d([[0.5], [-1.5], [2], [0.25], [1]]);
const linear = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w), 0.5);

describeWithBackends('surrogates and permutation', ['cpu'], () => {
  const x = randomTensor([3, 5], 51);
  const baselines = randomTensor([1, 5], 52);
  const mask = tf.tensor2d([[0, 0, 1, 2, 2]], [1, 5], 'int32');
  // Per group: Σ_{i∈g} w_i (x_i − b_i), spread over the group's elements.
  const groupEffect = tf.tidy(() => {
    const contribution = tf.mul(tf.sub(x, baselines), tf.reshape(w, [1, 5]));
    const sums = [
      tf.sum(tf.slice(contribution, [0, 0], [-1, 2]), 1),
      tf.squeeze(tf.slice(contribution, [0, 2], [-1, 1]), [1]),
      tf.sum(tf.slice(contribution, [0, 3], [-1, 2]), 1),
    ];
    return tf.stack([sums[0], sums[0], sums[1], sums[2], sums[2]], 1);
  });

  it('KernelSHAP and LIME (least squares) recover a linear model exactly', async () => {
    const shap = await kernelShap(linear, x, {
      target: 0,
      featureMask: mask,
      baselines,
      nSamples: 30,
      seed: 1,
      perturbationsPerEval: 8,
    });
    expectTensorsClose(shap.attributions, groupEffect, { atol: 1e-4 });
    const surrogate = await lime(linear, x, {
      target: 0,
      featureMask: mask,
      baselines,
      nSamples: 30,
      interpretableModel: { penalty: 'none' },
    });
    expectTensorsClose(surrogate.attributions, groupEffect, { atol: 1e-4 });
    const exact = await shapleyValues(linear, x, { target: 0, featureMask: mask, baselines });
    expectTensorsClose(exact.attributions, groupEffect, { atol: 1e-5 });
  });

  it('explain a forward that returns one scalar per batch', async () => {
    const total = (input: tf.Tensor) => tf.sum(linear(input));
    const expected = tf.sum(groupEffect, 0, true);
    const shap = await kernelShap(total, x, { featureMask: mask, baselines, nSamples: 30 });
    expectTensorsClose(shap.attributions, expected, { atol: 1e-4 });
    const surrogate = await lime(total, x, {
      featureMask: mask,
      baselines,
      nSamples: 30,
      interpretableModel: { penalty: 'none' },
    });
    expectTensorsClose(surrogate.attributions, expected, { atol: 1e-4 });
  });

  it('LIME with the default lasso shrinks towards 0 and is reproducible', async () => {
    const a = await lime(linear, x, { target: 0, featureMask: mask, baselines, nSamples: 40, seed: 7 });
    const b = await lime(linear, x, { target: 0, featureMask: mask, baselines, nSamples: 40, seed: 7 });
    expectTensorsClose(a.attributions, b.attributions, { atol: 0 });
    const shrunk = tf.tidy(() => tf.min(tf.sub(tf.abs(groupEffect), tf.abs(a.attributions))).dataSync()[0]);
    expect(shrunk).toBeGreaterThan(-1e-6);
  });

  it('permutation importance of a linear model sums to 0 over the batch, per feature', async () => {
    // attr[n,i] = w_i (x[n,i] − x[π(n),i]); a permutation keeps the column sum.
    const { attributions } = await featurePermutation(linear, x, {
      target: 0,
      seed: 3,
      perturbationsPerEval: 2,
    });
    expectTensorsClose(tf.sum(attributions, 0), tf.zeros([5]), { atol: 1e-5 });
    expect(tf.tidy(() => tf.sum(tf.abs(attributions)).dataSync()[0])).toBeGreaterThan(0.1);
    const ignored = (input: tf.Tensor) =>
      tf.matMul(tf.slice(input, [0, 0], [-1, 2]) as tf.Tensor2D, tf.ones([2, 1]));
    const partial = await featurePermutation(ignored, x, { target: 0 });
    expectTensorsClose(tf.slice(partial.attributions, [0, 2], [-1, 3]), tf.zeros([3, 3]), { atol: 0 });
  });

  it('leaks nothing and rejects bad options', async () => {
    const graph = loadModel(tinyModels.mlp());
    const input = randomTensor([2, 3], 4);
    await expectNoLeaks(() => kernelShap(graph, input, { target: 1, nSamples: 12 }));
    await expectNoLeaks(() => lime(graph, input, { target: 1, nSamples: 12 }));
    await expectNoLeaks(() => featurePermutation(graph, input, { target: 1 }));
    await expect(kernelShap(graph, input, { target: 1, nSamples: 0 })).rejects.toThrow(
      /nSamples.*kernelShap/,
    );
    await expect(lime(graph, input, { target: 1, kernelWidth: -1 })).rejects.toThrow(/kernelWidth/);
    await expect(featurePermutation(graph, tf.ones([1, 3]), { target: 1 })).rejects.toThrow(
      /at least 2 samples/,
    );
  });
});

describeWithBackends('surrogate smoke', ['wasm'], () => {
  it('KernelSHAP recovers a linear model', async () => {
    const x = randomTensor([2, 5], 3);
    const { attributions } = await kernelShap(linear, x, {
      target: 0,
      nSamples: 40,
      perturbationsPerEval: 40,
    });
    expectTensorsClose(attributions, tf.mul(x, tf.reshape(w, [1, 5])), { atol: 1e-3 });
  });
});
