import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { saliency } from '@attrib/gradients';
import { describeWithBackends, expectTensorsClose, randomTensor, tinyModels } from '@attrib/test-utils';
import {
  faithfulnessCorrelation,
  gaussianPerturbation,
  infidelity,
  modelParameterRandomisation,
  regionPerturbation,
  sensitivityMax,
} from './index.js';

/**
 * Seeds: 0 is a seed (tfjs's random ops read it as "no seed", so defaults used to change from call to
 * call), and a draw depends on the seed and the sample, never on the batch size or the chunking.
 */
describeWithBackends('seeded metrics', ['cpu', 'wasm'], () => {
  const model = loadModel(tinyModels.mlp());
  const x = randomTensor([3, 3], 11);
  const first = tf.slice(x, 0, 1);
  const explain = async (inputs: tf.Tensor) =>
    (await saliency(model, inputs, { target: 1, abs: false })).attributions as tf.Tensor;

  it('gaussianPerturbation() repeats with its default seed, call after call', async () => {
    const attributions = await explain(x);
    const run = async () =>
      (
        await infidelity(model, x, {
          attributions,
          target: 1,
          nPerturbSamples: 4,
          perturbFunc: gaussianPerturbation(),
        })
      ).infidelity;
    expectTensorsClose(await run(), await run(), { atol: 0, rtol: 0 });
    // One function object, called twice on the same rows: the same noise (no hidden call counter).
    const perturb = gaussianPerturbation({ std: 0.3 });
    const rows = tf.tile(x, [2, 1]);
    const a = perturb(rows).perturbations as tf.Tensor;
    const b = perturb(rows).perturbations as tf.Tensor;
    expectTensorsClose(a, b, { atol: 0, rtol: 0 });
    expect(tf.tidy(() => tf.moments(a).variance.dataSync()[0])).toBeGreaterThan(0.01);
    // A sample's perturbations are the same alone and in a batch (rows i·n … i·n+n−1).
    const alone = perturb(tf.tile(first, [4, 1])).perturbations as tf.Tensor;
    const inBatch = perturb(tf.reshape(tf.tile(tf.expandDims(x, 1), [1, 4, 1]), [12, 3]))
      .perturbations as tf.Tensor;
    expectTensorsClose(alone, tf.slice(inBatch, 0, 4), { atol: 0, rtol: 0 });
  });

  it('sensitivityMax depends on neither perturbationsPerEval nor the batch size', async () => {
    const run = async (inputs: tf.Tensor, perturbationsPerEval?: number) =>
      (
        await sensitivityMax(explain, inputs, {
          nPerturbSamples: 5,
          perturbRadius: 0.2,
          perturbationsPerEval,
        })
      ).sensitivity;
    const whole = await run(x);
    expectTensorsClose(await run(x, 1), whole, { atol: 0, rtol: 0 });
    expectTensorsClose(await run(x, 4), whole, { atol: 0, rtol: 0 });
    expectTensorsClose(await run(first, 2), tf.slice(whole, 0, 1), { atol: 0, rtol: 0 });
  });

  it('faithfulnessCorrelation gives a sample the same subsets in any batch', async () => {
    const attributions = await explain(x);
    const run = async (inputs: tf.Tensor, attr: tf.Tensor, perturbationsPerEval?: number) =>
      (
        await faithfulnessCorrelation(model, inputs, {
          attributions: attr,
          target: 1,
          subsetSize: 2,
          nRuns: 6,
          perturbationsPerEval,
        })
      ).correlation;
    const whole = await run(x, attributions);
    expectTensorsClose(await run(first, tf.slice(attributions, 0, 1), 3), tf.slice(whole, 0, 1), {
      atol: 1e-6,
      rtol: 0,
    });
  });

  it('regionPerturbation and modelParameterRandomisation repeat with seed 0', async () => {
    const attributions = await explain(x);
    const region = async () =>
      (await regionPerturbation(model, x, { attributions, target: 1, maxSteps: 2 })).curve;
    expectTensorsClose(await region(), await region(), { atol: 0, rtol: 0 });
    const randomised = async () =>
      (
        await modelParameterRandomisation(model, x, {
          explain: async (m, inputs) => (await saliency(m, inputs, { target: 1 })).attributions as tf.Tensor,
          seed: 0,
        })
      ).similarity;
    expect(await randomised()).toEqual(await randomised());
  });
});
