import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, UnknownNodeError, loadModel } from '@attrib/core';
import { neuronGradient } from './neuron-gradient.js';
import { neuronIntegratedGradients } from './neuron-integrated-gradients.js';
import { neuronConductance } from './neuron-conductance.js';
import { layerConductance } from './layer-conductance.js';
import { approximation } from './approximation.js';

describeWithBackends('neuron methods', ['cpu'], () => {
  const cnn = loadModel(tinyModels.cnn());
  const x = randomTensor([2, 4, 4, 2], 51);
  const mlp = loadModel(tinyModels.mlp());
  const xm = randomTensor([4, 3], 52, -2, 2);
  // bn unit (h=1, w=2, c=1) of shape [4, 4, 3]: flat NHWC index (1·4 + 2)·3 + 1 = 19.
  const tuple = [1, 2, 1];
  const unit = (a: tf.Tensor) => tf.reshape(tf.slice(a, [0, 1, 2, 1], [-1, 1, 1, 1]), [a.shape[0]]);

  it('neuronGradient is ∂neuron/∂x (finite differences); index, tuple and function selectors agree', async () => {
    const { attributions } = await neuronGradient(cnn, x, { layer: 'bn', neuron: tuple });
    for (let i = 0; i < 2; i++) {
      const sample = tf.slice(x, [i], [1]);
      const expected = finiteDifferenceGradient(
        (s) => unit(cnn.forward(s).values.get('bn')!).dataSync()[0],
        sample,
      );
      expectTensorsClose(tf.slice(attributions, [i], [1]), expected, { atol: 2e-3, rtol: 2e-2 });
    }
    expectTensorsClose(
      (await neuronGradient(cnn, x, { layer: 'bn', neuron: 19 })).attributions,
      attributions,
      { atol: 0 },
    );
    expectTensorsClose(
      (await neuronGradient(cnn, x, { layer: 'bn', neuron: unit })).attributions,
      attributions,
      { atol: 0 },
    );
    // The tensor entering relu is bn's output.
    expectTensorsClose(
      (await neuronGradient(cnn, x, { layer: 'relu', neuron: tuple, attributeToNeuronInput: true }))
        .attributions,
      attributions,
      { atol: 0 },
    );
  });

  it('neuronIntegratedGradients is complete for the neuron: Σ attr ≈ neuron(x) − neuron(b)', async () => {
    const b = tf.fill([2, 4, 4, 2], 0.1);
    const gap = tf.sub(unit(cnn.forward(x).values.get('bn')!), unit(cnn.forward(b).values.get('bn')!));
    const total = async (options: object) =>
      tf.sum(
        tf.reshape(
          (await neuronIntegratedGradients(cnn, x, { layer: 'bn', neuron: tuple, baselines: b, ...options }))
            .attributions,
          [2, -1],
        ),
        1,
      );
    // bn's unit is affine in x, so any quadrature whose weights sum to 1 is exact.
    expectTensorsClose(await total({ nSteps: 3, method: 'gausslegendre', internalBatchSize: 2 }), gap, {
      atol: 1e-5,
    });
    // Captum's trapezoid weights (1/n, ends halved) sum to 1 − 1/n: reproduced on purpose.
    expectTensorsClose(await total({ nSteps: 10, method: 'riemannTrapezoid' }), tf.mul(gap, 0.9), {
      atol: 1e-5,
    });
  });

  it('neuronConductance is (x − b)·Σ s_k ∂neuron/∂x · ∂f[t]/∂neuron (literal), and sums to the layer conductance of the unit', async () => {
    const { alphas, stepSizes } = approximation('riemannTrapezoid', 5);
    let expected = tf.zerosLike(xm);
    for (let k = 0; k < alphas.length; k++) {
      const point = tf.mul(alphas[k], xm);
      const dNeuron = (await neuronGradient(mlp, point, { layer: 'fc1', neuron: 2 })).attributions;
      const dOut = tf.grad((a: tf.Tensor) =>
        tf.sum(
          tf.slice(mlp.forward(point, { hooks: [{ node: 'fc1', after: () => a }] }).output, [0, 1], [-1, 1]),
        ),
      )(mlp.forward(point).values.get('fc1')!);
      expected = tf.add(expected, tf.mul(stepSizes[k], tf.mul(dNeuron, tf.slice(dOut, [0, 2], [-1, 1]))));
    }
    expected = tf.mul(xm, expected);
    const { attributions } = await neuronConductance(mlp, xm, {
      layer: 'fc1',
      neuron: 2,
      target: 1,
      nSteps: 5,
      internalBatchSize: 9,
    });
    expectTensorsClose(attributions, expected, { atol: 1e-6 });

    const fine = await neuronConductance(mlp, xm, { layer: 'fc1', neuron: 2, target: 1, nSteps: 400 });
    const layer = await layerConductance(mlp, xm, {
      layer: 'fc1',
      target: 1,
      nSteps: 400,
      method: 'riemannTrapezoid',
    });
    expectTensorsClose(
      tf.sum(fine.attributions, 1),
      tf.reshape(tf.slice(layer.attributions, [0, 2], [-1, 1]), [4]),
      { atol: 1e-2 },
    );
  });

  it('leaves no tensors behind, also when a call throws', async () => {
    await expectNoLeaks(() => neuronGradient(cnn, x, { layer: 'bn', neuron: tuple }));
    await expectNoLeaks(() =>
      neuronIntegratedGradients(cnn, x, { layer: 'pool', neuron: 3, nSteps: 4, internalBatchSize: 4 }),
    );
    await expectNoLeaks(() =>
      neuronConductance(cnn, x, {
        layer: 'pool',
        neuron: [0, 1, 2],
        target: [0, 2],
        nSteps: 4,
        internalBatchSize: 5,
      }),
    );
    await expectNoLeaks(() =>
      neuronGradient(cnn, x, { layer: 'bn', neuron: [9, 9, 9] }).catch(() => undefined),
    );
    await expectNoLeaks(() =>
      neuronConductance(cnn, x, { layer: 'bn', neuron: 1, target: 5 }).catch(() => undefined),
    );
  });

  it('refuses unknown layers and bad neuron selectors with typed errors', async () => {
    await expect(neuronGradient(cnn, x, { layer: 'nope', neuron: 0 })).rejects.toThrow(UnknownNodeError);
    await expect(neuronGradient(cnn, x, { layer: 'bn', neuron: [1, 2] })).rejects.toThrow(
      /Argument 'neuron' passed to 'neuronGradient' must be an index, a tuple of 3 indices/,
    );
    await expect(neuronIntegratedGradients(cnn, x, { layer: 'bn', neuron: 48 })).rejects.toThrow(
      /'neuron' passed to 'neuronIntegratedGradients' must be a flat index in \[0, 48\)/,
    );
    await expect(neuronGradient(cnn, x, { layer: 'bn', neuron: 'a' as never })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(neuronGradient(cnn, x, { layer: 'bn', neuron: () => tf.zeros([5]) })).rejects.toThrow(
      /one value per sample/,
    );
    await expect(neuronConductance(cnn, x, { layer: 'bn', neuron: unit, target: 0 })).rejects.toThrow(
      /'neuron' passed to 'neuronConductance'/,
    );
    await expect(neuronConductance(cnn, x, { layer: 'bn', neuron: 1, target: [0, 1, 2] })).rejects.toThrow(
      /'target' passed to 'neuronConductance'/,
    );
    await expect(
      neuronIntegratedGradients(cnn, x, { layer: 'bn', neuron: 1, internalBatchSize: 1 }),
    ).rejects.toThrow(/'internalBatchSize'/);
  });
});
