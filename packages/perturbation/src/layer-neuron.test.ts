import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, ShapeMismatchError, UnknownNodeError, loadModel } from '@attrib/core';
import { layerFeatureAblation, neuronFeatureAblation } from './index.js';

const cnn = loadModel(tinyModels.cnn());

describeWithBackends('layer and neuron feature ablation', ['cpu'], () => {
  const x = randomTensor([3, 4, 4, 2], 61);
  const target = [1, 0, 2];
  const pick = (out: tf.Tensor) =>
    Array.from(tf.tidy(() => tf.sum(tf.mul(out, tf.oneHot(target, 3)), 1).dataSync()));

  it('layer units set to the baseline one group at a time, the rest re-run (literal)', async () => {
    // The pool output [2,2,3] is 12 units; the flatten → fc tail is re-run by hand.
    const mask = tf.tensor([0, 1, 2, 0, 1, 2, 3, 3, 3, 0, 1, 2], [1, 2, 2, 3], 'int32');
    const { attributions } = await layerFeatureAblation(cnn, x, {
      target,
      layer: 'pool',
      layerMask: mask,
      layerBaselines: 0.1,
      perturbationsPerEval: 3,
    });
    const pool = cnn.derive({ output: 'pool' }).run(x);
    const fc = cnn.node('fc').module;
    const tail = (a: tf.Tensor) => pick(fc.forward([tf.reshape(a, [3, 12])]));
    const reference = tail(pool);
    const ids = mask.dataSync();
    const expected = new Float32Array(3 * 12);
    for (let g = 0; g < 4; g++) {
      const keep = tf.tensor(
        Array.from(ids, (id) => (id === g ? 0 : 1)),
        [1, 2, 2, 3],
      );
      const ablated = tail(tf.add(tf.mul(pool, keep), tf.mul(0.1, tf.sub(1, keep))));
      for (let n = 0; n < 3; n++)
        for (let u = 0; u < 12; u++) if (ids[u] === g) expected[n * 12 + u] = reference[n] - ablated[n];
    }
    expectTensorsClose(attributions, tf.tensor(expected, [3, 2, 2, 3]), { atol: 1e-5 });
  });

  it("attributeToLayerInput ablates only the node's view of a shared tensor", async () => {
    // residual: add(relu1, x) reads x; ablating fc1's input (= x) leaves the skip path untouched.
    const residual = loadModel(tinyModels.residual());
    const input = randomTensor([2, 4], 62);
    const { attributions } = await layerFeatureAblation(residual, input, {
      target: 0,
      layer: 'fc1',
      attributeToLayerInput: true,
    });
    const run = (fc1In: tf.Tensor) =>
      tf.tidy(() => {
        const relu = tf.relu(residual.node('fc1').module.forward([fc1In]));
        return Array.from(
          tf.slice(residual.node('fc2').module.forward([tf.add(relu, input)]), [0, 0], [-1, 1]).dataSync(),
        );
      });
    const reference = run(input);
    const expected = new Float32Array(8);
    for (let u = 0; u < 4; u++) {
      const keep = tf.tensor2d([[0, 1, 2, 3].map((v) => (v === u ? 0 : 1))]);
      const out = run(tf.mul(input, keep));
      for (let n = 0; n < 2; n++) expected[n * 4 + u] = reference[n] - out[n];
    }
    expectTensorsClose(attributions, tf.tensor(expected, [2, 4]), { atol: 1e-6 });
  });

  it('neuron ablation: neuron(x) − neuron(x ablated), for index, tuple and function selectors', async () => {
    const mask = tf.tensor(
      Array.from({ length: 32 }, (_, i) => i % 5),
      [1, 4, 4, 2],
      'int32',
    );
    const bn = cnn.derive({ output: 'bn' });
    const data = x.dataSync();
    const neuron = (input: tf.Tensor) =>
      Array.from(
        tf.tidy(() => tf.reshape(tf.slice(bn.run(input), [0, 1, 2, 1], [-1, 1, 1, 1]), [-1]).dataSync()),
      );
    const reference = neuron(x);
    const expected = new Float32Array(x.size);
    for (let g = 0; g < 5; g++) {
      const out = neuron(
        tf.tensor(
          Float32Array.from(data, (v, i) => ((i % 32) % 5 === g ? 0 : v)),
          x.shape,
        ),
      );
      for (let i = 0; i < x.size; i++)
        if ((i % 32) % 5 === g) expected[i] = reference[Math.floor(i / 32)] - out[Math.floor(i / 32)];
    }
    const byTuple = await neuronFeatureAblation(cnn, x, {
      layer: 'bn',
      neuron: [1, 2, 1],
      featureMask: mask,
    });
    expectTensorsClose(byTuple.attributions, tf.tensor(expected, x.shape), { atol: 1e-5 });
    const byIndex = await neuronFeatureAblation(cnn, x, {
      layer: 'relu',
      attributeToNeuronInput: true,
      neuron: (1 * 4 + 2) * 3 + 1,
      featureMask: mask,
      perturbationsPerEval: 5,
    });
    expectTensorsClose(byIndex.attributions, byTuple.attributions, { atol: 1e-6 });
    const byFunction = await neuronFeatureAblation(cnn, x, {
      layer: 'bn',
      neuron: (a) => tf.reshape(tf.slice(a, [0, 1, 2, 1], [-1, 1, 1, 1]), [-1]),
      featureMask: mask,
    });
    expectTensorsClose(byFunction.attributions, byTuple.attributions, { atol: 1e-6 });
  });

  it('leaks nothing, leaves no hooks behind and rejects bad input', async () => {
    await expectNoLeaks(() =>
      layerFeatureAblation(cnn, x, { target, layer: 'conv', perturbationsPerEval: 16 }),
    );
    await expectNoLeaks(() =>
      neuronFeatureAblation(cnn, x, { layer: 'fc', neuron: 1, perturbationsPerEval: 8 }),
    );
    const badMask = tf.zeros([1, 3, 3, 3]);
    await expectNoLeaks(async () => {
      await expect(
        layerFeatureAblation(cnn, x, { target, layer: 'pool', layerMask: badMask }),
      ).rejects.toThrow(ShapeMismatchError);
      await expect(
        layerFeatureAblation(cnn, x, { target, layer: 'pool', layerBaselines: badMask }),
      ).rejects.toThrow(/layerBaselines/);
    });
    expect(cnn.hooks).toHaveLength(0);
    await expect(layerFeatureAblation(cnn, x, { target, layer: 'nope' })).rejects.toThrow(UnknownNodeError);
    await expect(neuronFeatureAblation(cnn, x, { layer: 'fc', neuron: 3 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(neuronFeatureAblation(cnn, x, { layer: 'pool', neuron: [0, 0] })).rejects.toThrow(/neuron/);
    await expect(layerFeatureAblation((v) => v, x, { target, layer: 'pool' })).rejects.toThrow(
      /model.*Graph/,
    );
  });
});

describeWithBackends('layer ablation smoke', ['wasm'], () => {
  it('ablating all of a layer at once gives f(x) − f(layer zeroed)', async () => {
    const input = randomTensor([2, 4, 4, 2], 3);
    const { attributions } = await layerFeatureAblation(cnn, input, {
      target: 0,
      layer: 'relu',
      layerMask: tf.zeros([1, 4, 4, 3], 'int32'),
    });
    const fx = tf.tidy(() => Array.from(tf.slice(cnn.run(input), [0, 0], [-1, 1]).dataSync()));
    const fZero = tf.tidy(() =>
      Array.from(
        tf
          .slice(
            cnn.run(input, { hooks: [{ node: 'relu', after: ({ output }) => tf.zerosLike(output) }] }),
            [0, 0],
            [-1, 1],
          )
          .dataSync(),
      ),
    );
    expectTensorsClose(
      tf.reshape(tf.slice(attributions, [0, 0, 0, 0], [-1, 1, 1, 1]), [2]),
      fx.map((v, n) => v - fZero[n]),
      { atol: 1e-4 },
    );
  });
});
