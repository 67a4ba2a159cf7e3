import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, ShapeMismatchError, UnknownNodeError, loadModel } from '@attrib/core';
import { knockoutHook, neuronKnockout } from './index.js';

const graph = loadModel(tinyModels.mlp());
const p = (node: string, name: string) => graph.node(node).module.params[name] as tf.Tensor;

/** The tiny MLP written out by hand, with an optional edit of fc1's output (pre-activation). */
function literalMlp(x: tf.Tensor, editFc1?: (z: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let z = tf.add(tf.matMul(x as tf.Tensor2D, p('fc1', 'weight') as tf.Tensor2D), p('fc1', 'bias'));
    if (editFc1) z = editFc1(z);
    return tf.add(tf.matMul(tf.relu(z) as tf.Tensor2D, p('fc2', 'weight') as tf.Tensor2D), p('fc2', 'bias'));
  });
}

describeWithBackends('neuron knock-out', ['cpu'], () => {
  const x = randomTensor([5, 3], 3);

  it('knocking out every unit of a layer equals the network with that layer zeroed', () => {
    const knockout = neuronKnockout(graph, { node: 'fc1', units: [0, 1, 2, 3] });
    const out = graph.run(x, { hooks: [knockout.hook] });
    expectTensorsClose(
      out,
      literalMlp(x, (z) => tf.zerosLike(z)),
    );
    knockout.dispose();
  });

  it('zeroes only the listed units, for output and input', () => {
    const keep = tf.tensor2d([[1, 0, 1, 0]]);
    const zeroed = neuronKnockout(graph, { node: 'fc1', units: [1, 3] });
    expectTensorsClose(
      graph.run(x, { hooks: [zeroed.hook] }),
      literalMlp(x, (z) => tf.mul(z, keep)),
    );
    zeroed.dispose();
    // The tensor entering fc2 is relu(fc1): zeroing it there equals zeroing fc1 (relu(0) = 0).
    const atInput = neuronKnockout(graph, { node: 'fc2', at: 'input', units: [1, 3] });
    expectTensorsClose(
      graph.run(x, { hooks: [atInput.hook] }),
      literalMlp(x, (z) => tf.mul(z, keep)),
    );
    atInput.dispose();
  });

  it('replaces by the reference mean and by given values', () => {
    const reference = randomTensor([7, 3], 11);
    const meanZ = tf.mean(
      tf.add(tf.matMul(reference as tf.Tensor2D, p('fc1', 'weight') as tf.Tensor2D), p('fc1', 'bias')),
      0,
      true,
    );
    const keep = tf.tensor2d([[0, 1, 1, 0]]);
    const mean = neuronKnockout(graph, { node: 'fc1', units: [0, 3], mode: 'mean', reference });
    expectTensorsClose(
      graph.run(x, { hooks: [mean.hook] }),
      literalMlp(x, (z) => tf.add(tf.mul(z, keep), tf.mul(meanZ, tf.sub(1, keep)))),
      { atol: 1e-5 },
    );
    mean.dispose();
    const value = neuronKnockout(graph, { node: 'fc1', units: [0, 3], mode: 'value', value: 0.5 });
    expectTensorsClose(
      graph.run(x, { hooks: [value.hook] }),
      literalMlp(x, (z) => tf.add(tf.mul(z, keep), tf.mul(0.5, tf.sub(1, keep)))),
      { atol: 1e-5 },
    );
    value.dispose();
  });

  it('knockoutHook takes per-sample masks and replacements', () => {
    const keep = tf.tensor2d([
      [1, 0, 1, 1],
      [0, 1, 1, 1],
      [1, 1, 0, 1],
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    const replacement = tf.fill([5, 4], -0.25);
    const hook = knockoutHook({ node: 'fc1', keep, replacement });
    const expected = literalMlp(x, (z) => tf.add(tf.mul(z, keep), tf.mul(replacement, tf.sub(1, keep))));
    expectTensorsClose(graph.run(x, { hooks: [hook] }), expected, { atol: 1e-6 });
  });

  it('leaks nothing', async () => {
    await expectNoLeaks(() => {
      const knockout = neuronKnockout(graph, { node: 'fc1', units: [2], mode: 'mean', reference: x });
      const out = graph.run(x, { hooks: [knockout.hook] });
      knockout.dispose();
      return out;
    });
    const keep = tf.tensor2d([[1, 0, 1, 1]]);
    await expectNoLeaks(() => graph.run(x, { hooks: [knockoutHook({ node: 'fc1', keep, replacement: 2 })] }));
    keep.dispose();
  });

  it('rejects bad arguments with typed errors', () => {
    expect(() => neuronKnockout(graph, { node: 'nope', units: [0] })).toThrow(UnknownNodeError);
    expect(() => neuronKnockout(graph, { node: 'fc1', units: [0], mode: 'mean' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => neuronKnockout(graph, { node: 'fc1', units: [-1] })).toThrow(/units.*neuronKnockout/);
    const outOfRange = neuronKnockout(graph, { node: 'fc1', units: [4] });
    expect(() => graph.run(x, { hooks: [outOfRange.hook] })).toThrow(/\[0, 4\)/);
    outOfRange.dispose();
    const badKeep = knockoutHook({ node: 'fc1', keep: tf.ones([1, 3]) });
    expect(() => graph.run(x, { hooks: [badKeep] })).toThrow(ShapeMismatchError);
    expect(graph.hooks).toHaveLength(0);
  });
});
