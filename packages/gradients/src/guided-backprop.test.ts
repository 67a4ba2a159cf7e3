import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { deconvolution, neuronDeconvolution } from './deconvolution.js';
import { guidedBackprop, neuronGuidedBackprop } from './guided-backprop.js';

type ReluBackward = (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor;

/** A ReLU whose backward is `backward`, as Captum's module hook makes it. */
function reluWith(backward: ReluBackward): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: tf.relu(x), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => backward(dy, saved) };
  }) as (x: tf.Tensor) => tf.Tensor;
}

/** The model written out node by node (no reverse walk, no rules), with `relu` in place of every ReLU. */
function literalForward(
  graph: Graph,
  x: tf.Tensor,
  relu: (x: tf.Tensor) => tf.Tensor,
  until = graph.output,
): tf.Tensor {
  const values = new Map<string, tf.Tensor>([[graph.inputs[0].name, x]]);
  for (const node of graph.nodes) {
    const args = node.inputs.map((name) => values.get(name)!);
    values.set(node.name, node.module.kind === 'relu' ? relu(args[0]) : node.module.forward(args));
  }
  return values.get(until)!;
}

/** One sample at a time: tf.grad of the literal model's picked unit. */
function literalPerSample(
  graph: Graph,
  x: tf.Tensor,
  backward: ReluBackward,
  pick: (out: tf.Tensor, i: number) => tf.Tensor,
  until?: string,
): tf.Tensor {
  return tf.tidy(() => {
    const relu = reluWith(backward);
    const rows = Array.from({ length: x.shape[0] }, (_, i) =>
      tf.grad((xi: tf.Tensor) => pick(literalForward(graph, xi, relu, until), i))(tf.slice(x, i, 1)),
    );
    return tf.concat(rows, 0);
  });
}

const guided: ReluBackward = (dy, x) => tf.mul(tf.relu(dy), tf.cast(tf.greater(x, 0), 'float32'));
const deconv: ReluBackward = (dy) => tf.relu(dy);
const column = (t: number) => (out: tf.Tensor) => tf.sum(tf.slice(out, [0, t], [1, 1]));

function inputFor(graph: Graph, n: number, seed: number): tf.Tensor {
  return randomTensor([n, ...graph.inputs[0].shape!.slice(1).map((d) => d ?? 1)], seed);
}

describeWithBackends('guidedBackprop, deconvolution', ['cpu'], () => {
  const models = Object.entries(tinyModels).map(([name, spec]) => [name, loadModel(spec())] as const);

  for (const [name, graph] of models) {
    it(`${name}: batched guided backprop equals a per-sample literal implementation`, () => {
      const x = inputFor(graph, 3, 7);
      const targets = [1, 0, 1];
      const expected = literalPerSample(graph, x, guided, (out, i) => column(targets[i])(out));
      const { attributions } = guidedBackprop(graph, x, { target: targets });
      expectTensorsClose(attributions, expected, { atol: 1e-6, rtol: 1e-5 });
    });

    it(`${name}: batched deconvolution equals a per-sample literal implementation`, () => {
      const x = inputFor(graph, 3, 8);
      const expected = literalPerSample(graph, x, deconv, column(0));
      expectTensorsClose(deconvolution(graph, x, { target: 0 }).attributions, expected, {
        atol: 1e-6,
        rtol: 1e-5,
      });
    });
  }

  it('neuron variants equal the literal gradient of the neuron, at the output and at the input of a layer', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = inputFor(graph, 2, 9);
    // bn output [N,4,4,3], neuron (1,2,0); relu input is the same tensor.
    const pickNeuron = (out: tf.Tensor) => tf.sum(tf.slice(out, [0, 1, 2, 0], [1, 1, 1, 1]));
    const expected = literalPerSample(graph, x, guided, pickNeuron, 'bn');
    expectTensorsClose(
      neuronGuidedBackprop(graph, x, { layer: 'bn', neuron: [1, 2, 0] }).attributions,
      expected,
      { atol: 1e-6 },
    );
    expectTensorsClose(
      neuronGuidedBackprop(graph, x, { layer: 'relu', neuron: 1 * 12 + 2 * 3, attributeToNeuronInput: true })
        .attributions,
      expected,
      { atol: 1e-6 },
    );
    const pooled = (out: tf.Tensor) => tf.sum(tf.slice(out, [0, 1, 0, 2], [1, 1, 1, 1]));
    const expectedDeconv = literalPerSample(graph, x, deconv, pooled, 'pool');
    expectTensorsClose(
      neuronDeconvolution(graph, x, { layer: 'pool', neuron: [1, 0, 2] }).attributions,
      expectedDeconv,
      { atol: 1e-6 },
    );
  });

  it('accepts every target form alike', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = inputFor(graph, 2, 10);
    const reference = guidedBackprop(graph, x, { target: [1, 1] }).attributions;
    const forms = [
      1,
      [1, 1],
      Int32Array.from([1, 1]),
      tf.tensor1d([1, 1], 'int32'),
      (out: tf.Tensor) => tf.squeeze(tf.slice(out, [0, 1], [-1, 1]), [1]),
    ];
    for (const target of forms)
      expectTensorsClose(guidedBackprop(graph, x, { target }).attributions, reference, { atol: 0, rtol: 0 });
  });

  it('leaks nothing', async () => {
    const graph = loadModel(tinyModels.cnn());
    const x = inputFor(graph, 2, 11);
    await expectNoLeaks(() => guidedBackprop(graph, x, { target: 0 }));
    await expectNoLeaks(() => deconvolution(graph, x, { target: 2 }));
    await expectNoLeaks(() => neuronGuidedBackprop(graph, x, { layer: 'conv', neuron: 5 }));
    await expectNoLeaks(() =>
      neuronDeconvolution(graph, x, { layer: 'pool', neuron: [0, 1, 2], attributeToNeuronInput: true }),
    );
    await expectNoLeaks(() =>
      expect(() => guidedBackprop(graph, x, { target: 7 })).toThrow(InvalidArgumentError),
    );
  });

  it('throws typed errors naming the argument', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = inputFor(graph, 2, 12);
    expect(() => guidedBackprop(graph, x, { target: 2 })).toThrow(
      /'target' passed to 'guidedBackprop'.*\[0, 2\)/,
    );
    expect(() => guidedBackprop(graph, x)).toThrow(InvalidArgumentError);
    expect(() => deconvolution(graph, tf.tensor2d([[NaN, 0, 0]]), { target: 0 })).toThrow(
      /'inputs' passed to 'deconvolution' must be finite/,
    );
    expect(() => deconvolution(graph, tf.zeros([2, 5]), { target: 0 })).toThrow(
      /'inputs' passed to 'deconvolution'/,
    );
    expect(() => neuronGuidedBackprop(graph, x, { layer: 'nope', neuron: 0 })).toThrow(UnknownNodeError);
    expect(() => neuronGuidedBackprop(graph, x, { layer: 'fc1', neuron: 4 })).toThrow(
      /'neuron' passed to 'neuronGuidedBackprop'/,
    );
    expect(() => neuronDeconvolution(graph, x, { layer: 'fc1', neuron: [0, 1] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => neuronDeconvolution(graph, x, undefined as never)).toThrow(
      /'options' passed to 'neuronDeconvolution'/,
    );
    expect(() => neuronGuidedBackprop(graph, x, { layer: 'fc1' } as never)).toThrow(
      /'neuron' passed to 'neuronGuidedBackprop'/,
    );
  });
});

describeWithBackends('guidedBackprop smoke', ['wasm'], () => {
  it('runs on a CNN and matches cpu-computed literal values', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = inputFor(graph, 2, 13);
    const expected = literalPerSample(graph, x, guided, column(1));
    expectTensorsClose(guidedBackprop(graph, x, { target: 1 }).attributions, expected, {
      atol: 1e-5,
      rtol: 1e-4,
    });
    expectTensorsClose(
      deconvolution(graph, x, { target: 1 }).attributions,
      literalPerSample(graph, x, deconv, column(1)),
      { atol: 1e-5, rtol: 1e-4 },
    );
  });
});
