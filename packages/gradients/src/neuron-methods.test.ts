import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  literalPathSchedule,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, UnknownNodeError, loadModel } from '@attrib/core';
import { neuronGradient } from './neuron-gradient.js';
import { neuronIntegratedGradients } from './neuron-integrated-gradients.js';
import { neuronConductance } from './neuron-conductance.js';
import { layerConductance } from './layer-conductance.js';

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

  it('neuronConductance is (x − b)·Σ s_k ∂neuron/∂x · ∂f[t]/∂neuron (literal float64), and sums to the layer conductance of the unit', async () => {
    // fc1 unit 1 is positive on some samples and negative on others, so relu's gate along the path
    // differs between samples (a unit dead on every input would give 0 = 0 for any implementation).
    const [j, t, n] = [1, 1, 5];
    type Dense = { weight: { data: number[] }; bias: { data: number[] } };
    const [fc1, , fc2] = tinyModels.mlp().nodes as unknown as Dense[];
    const w1 = (i: number) => fc1.weight.data[i * 4 + j]; // weights are [in][out]
    const { alphas, stepSizes } = literalPathSchedule('riemannTrapezoid', n);
    const rows = xm.arraySync() as number[][];
    // fc1 is affine, so ∂z_j/∂x_i = W1[i][j] on the whole path; ∂f[t]/∂z_j = W2[j][t] where z_j > 0.
    const gates = rows.map((row) =>
      alphas.reduce(
        (sum, a, k) =>
          sum + (row.reduce((z, v, i) => z + a * v * w1(i), fc1.bias.data[j]) > 0 ? stepSizes[k] : 0),
        0,
      ),
    );
    expect(new Set(gates).size).toBeGreaterThan(1);
    const expected = rows.map((row, r) =>
      row.map((v, i) => v * w1(i) * fc2.weight.data[j * 2 + t] * gates[r]),
    );
    const { attributions } = await neuronConductance(mlp, xm, {
      layer: 'fc1',
      neuron: j,
      target: t,
      nSteps: n,
      internalBatchSize: 9,
    });
    expectTensorsClose(attributions, expected.flat(), { atol: 1e-6 });

    const fine = await neuronConductance(mlp, xm, { layer: 'fc1', neuron: j, target: t, nSteps: 400 });
    const layer = await layerConductance(mlp, xm, {
      layer: 'fc1',
      target: t,
      nSteps: 400,
      method: 'riemannTrapezoid',
    });
    expectTensorsClose(
      tf.sum(fine.attributions, 1),
      tf.reshape(tf.slice(layer.attributions, [0, j], [-1, 1]), [4]),
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
