import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  literalDeepLiftMlp,
  literalMlpFromSpec,
  randomTensor,
  tinyModels,
  withActivation,
} from '@attrib/test-utils';
import { neuronDeepLift } from './deep-lift-neuron.js';

describeWithBackends('neuronDeepLift', ['cpu'], () => {
  const spec = withActivation(tinyModels.mlp(), 'tanh');
  const graph = loadModel(spec);
  const net = literalMlpFromSpec(spec);
  const x = randomTensor([2, 3], 30);
  const b = randomTensor([2, 3], 31);
  const literal = literalDeepLiftMlp(net, x.arraySync() as number[][], b.arraySync() as number[][], [0, 0]);

  it('after the activation: literal values, and Σ attr = neuron(x) − neuron(b)', () => {
    const act = neuronDeepLift(graph, x, { layer: 'relu1', neuron: 2, baselines: b }).attributions;
    expectTensorsClose(act, literal.map((r) => r.neuron(2)).flat(), { atol: 1e-6 });
    const neuron = (v: tf.Tensor) =>
      tf.tidy(() => tf.reshape(tf.slice(graph.forward(v).values.get('relu1')!, [0, 2], [-1, 1]), [-1]));
    expectTensorsClose(tf.sum(act, 1), tf.sub(neuron(x), neuron(b)), { atol: 1e-6 });
  });

  it("at the layer's input (a linear unit): (x − b)·W1[:, j], any selector form", () => {
    const expected = (x.arraySync() as number[][]).flatMap((row, n) =>
      row.map((xi, i) => (xi - (b.arraySync() as number[][])[n][i]) * net.w1[i][2]),
    );
    for (const neuron of [2, [2], (a: tf.Tensor) => tf.reshape(tf.slice(a, [0, 2], [-1, 1]), [-1])]) {
      const { attributions } = neuronDeepLift(graph, x, {
        layer: 'relu1',
        neuron,
        baselines: b,
        attributeToNeuronInput: true,
      });
      expectTensorsClose(attributions, expected, { atol: 1e-6 });
    }
  });

  it('batch = per-sample results stacked on a CNN with a max-pool', () => {
    const cnn = loadModel(tinyModels.cnn());
    const xc = randomTensor([3, 4, 4, 2], 41);
    const bc = randomTensor([3, 4, 4, 2], 42);
    const batched = neuronDeepLift(cnn, xc, { layer: 'pool', neuron: [1, 0, 2], baselines: bc }).attributions;
    const rows = [0, 1, 2].map(
      (i) =>
        neuronDeepLift(cnn, tf.slice(xc, i, 1), {
          layer: 'pool',
          neuron: [1, 0, 2],
          baselines: tf.slice(bc, i, 1),
        }).attributions,
    );
    expectTensorsClose(batched, tf.concat(rows, 0), { atol: 1e-6, rtol: 1e-5 });
  });

  it('leaks nothing and throws typed errors', async () => {
    await expectNoLeaks(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: 1, baselines: 0.1 }));
    await expectNoLeaks(() =>
      expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: 99 })).toThrow(InvalidArgumentError),
    );
    expect(() => neuronDeepLift(graph, x, { layer: 'fc9', neuron: 0 })).toThrow(UnknownNodeError);
    expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: [0, 0] })).toThrow(
      /'neuron' passed to 'neuronDeepLift'/,
    );
    expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: -1 })).toThrow(InvalidArgumentError);
    expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: 0, baselines: tf.zeros([3, 3]) })).toThrow(
      /'baselines' passed to 'neuronDeepLift'/,
    );
  });
});
