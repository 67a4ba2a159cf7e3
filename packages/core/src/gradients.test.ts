import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import {
  GraphBuilder,
  InvalidArgumentError,
  gradients,
  loadModel,
  selectTarget,
  type Target,
} from './index.js';

describeWithBackends('gradients', ['cpu'], () => {
  for (const name of ['mlp', 'cnn', 'residual'] as const) {
    const graph = loadModel(tinyModels[name]());
    const shape = graph.inputs[0].shape!.map((d) => d ?? 2) as number[];

    it(`${name}: input gradient equals finite differences`, () => {
      const x = randomTensor(shape, 11);
      const { inputGradients } = gradients(graph, x, { target: 1 });
      const objective = (v: tf.Tensor) => tf.sum(selectTarget(graph.run(v), 1, 'test')).dataSync()[0];
      expectTensorsClose(inputGradients[0], finiteDifferenceGradient(objective, x), {
        atol: 2e-3,
        rtol: 2e-2,
      });
    });

    it(`${name}: intermediate gradients equal finite differences at that node`, () => {
      const x = randomTensor(shape, 12);
      const node = graph.nodes[1].name;
      const { tensorGradients, activations } = gradients(graph, x, {
        target: 0,
        tensors: [node, { node, at: 'input' }],
      });
      const activation = activations.get(node)!;
      // Perturb the node's output through a replacing hook and differentiate numerically.
      const objective = (a: tf.Tensor) =>
        tf.sum(selectTarget(graph.run(x, { hooks: [{ node, after: () => a }] }), 0, 'test')).dataSync()[0];
      expectTensorsClose(tensorGradients.get(node)!, finiteDifferenceGradient(objective, activation), {
        atol: 2e-3,
        rtol: 2e-2,
      });
      expect(tensorGradients.get(`${node}:input`)!.shape).toEqual(activations.get(`${node}:input`)!.shape);
    });
  }

  const graph = loadModel(tinyModels.mlp());
  const x = randomTensor([4, 3], 13);

  it('gives each sample its own target, in every target form', () => {
    const perSample = [0, 1, 1, 0].map(
      (t, i) => gradients(graph, tf.slice(x, [i, 0], [1, 3]), { target: t }).inputGradients[0],
    );
    const expected = tf.concat(perSample);
    const forms: Target[] = [
      [0, 1, 1, 0],
      Int32Array.from([0, 1, 1, 0]),
      tf.tensor1d([0, 1, 1, 0], 'int32'),
      (out) =>
        tf.sum(
          tf.mul(
            out,
            tf.tensor2d([
              [1, 0],
              [0, 1],
              [0, 1],
              [1, 0],
            ]),
          ),
          1,
        ),
    ];
    for (const target of forms)
      expectTensorsClose(gradients(graph, x, { target }).inputGradients[0], expected, { atol: 1e-6 });
    expectTensorsClose(
      gradients(graph, x, { target: 1 }).inputGradients[0],
      gradients(graph, x, { target: [1, 1, 1, 1] }).inputGradients[0],
    );
  });

  it('differentiates any per-sample objective', () => {
    const { inputGradients, objective } = gradients(graph, x, {
      objective: ({ values }) => tf.sum(values.get('relu1')!, 1),
    });
    expect(objective.shape).toEqual([4]);
    const fd = finiteDifferenceGradient(
      (v) => tf.sum(graph.derive({ output: 'relu1' }).run(v)).dataSync()[0],
      x,
    );
    expectTensorsClose(inputGradients[0], fd, { atol: 2e-3, rtol: 2e-2 });
  });

  it('stops the backward at the requested tensors with inputGradients: false, with the same gradients', async () => {
    const cnn = loadModel(tinyModels.cnn());
    const images = randomTensor([3, 4, 4, 2], 14);
    const tensors = ['conv', { node: 'relu', at: 'input' as const }, 'x', 'flatten'];
    const tapped = gradients(cnn, images, { target: [0, 1, 2], tensors });
    const probed = gradients(cnn, images, { target: [0, 1, 2], tensors, inputGradients: false });
    expect(probed.inputGradients).toEqual([]);
    for (const key of ['conv', 'relu:input', 'x', 'flatten']) {
      expectTensorsClose(probed.tensorGradients.get(key)!, tapped.tensorGradients.get(key)!, { atol: 1e-6 });
      expectTensorsClose(probed.activations.get(key)!, tapped.activations.get(key)!, { atol: 0, rtol: 0 });
    }
    // A node off the path to the output gets a zero gradient rather than a tfjs error.
    const branched = new GraphBuilder({ name: 'x' })
      .node('side', 'tanh')
      .linear('fc', { weight: tf.ones([3, 2]) }, ['x'])
      .build();
    const off = gradients(branched, x, { target: 0, tensors: ['side'], inputGradients: false });
    expect(tf.sum(tf.abs(off.tensorGradients.get('side')!)).dataSync()[0]).toBe(0);
    await expectNoLeaks(() => gradients(cnn, images, { target: 1, tensors, inputGradients: false }));
    const before = tf.memory().numTensors;
    expect(() => gradients(cnn, images, { target: 7, tensors, inputGradients: false })).toThrow(/target/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad targets with typed errors', () => {
    expect(() => gradients(graph, x, { target: 2 })).toThrow(InvalidArgumentError);
    expect(() => gradients(graph, x, { target: 2 })).toThrow(
      "Argument 'target' passed to 'gradients' must be a class index in [0, 2), but got 2.",
    );
    expect(() => gradients(graph, x, {})).toThrow(/target/);
    expect(() => gradients(graph, x, { target: [0, 1] })).toThrow(/one index per sample/);
    expect(() => gradients(graph, x, { target: 0, tensors: ['nope'] })).toThrow(/no node named 'nope'/);
  });

  it('returns only what it reports and leaks nothing, also when it throws', async () => {
    await expectNoLeaks(() =>
      gradients(graph, x, { target: 0, tensors: ['fc1', 'relu1', { node: 'fc1', at: 'input' }] }),
    );
    const before = tf.memory().numTensors;
    expect(() => gradients(graph, x, { objective: () => tf.ones([3]) })).toThrow(/one value per sample/);
    const failing = {
      node: 'fc2',
      after: () => {
        throw new Error('hook failed');
      },
    };
    expect(() => gradients(graph, x, { target: 0, hooks: [failing] })).toThrow(/hook failed/);
    expect(() => gradients(graph, x, { target: 5 })).toThrow(/target/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeWithBackends('gradients (smoke)', ['wasm'], () => {
  it('matches the cpu backend on a small CNN', async () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, 4, 4, 2], 21);
    const onWasm = gradients(graph, x, { target: [0, 2] }).inputGradients[0].dataSync();
    await tf.setBackend('cpu');
    const onCpu = gradients(graph, x, { target: [0, 2] }).inputGradients[0].dataSync();
    await tf.setBackend('wasm');
    expectTensorsClose(Array.from(onWasm), Array.from(onCpu), { atol: 1e-5 });
  });
});
