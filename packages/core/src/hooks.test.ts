import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { PluginError, loadModel, withHooks, type ForwardHook } from './index.js';

describeWithBackends('forward hooks', ['cpu'], () => {
  const graph = loadModel(tinyModels.mlp());
  const x = randomTensor([3, 3], 7);

  it('captures, replaces inputs, wraps and replaces outputs', () => {
    const result = tf.tidy(() => {
      const seen: tf.Tensor[] = [];
      const out = graph.run(x, {
        hooks: [
          { node: 'relu1', after: ({ output }) => void seen.push(tf.keep(tf.clone(output))) },
          { node: 'fc2', before: ({ inputs }) => [tf.zerosLike(inputs[0])] },
        ],
      });
      return { out, seen: seen[0] };
    });
    // With fc2's input zeroed, the output is fc2's bias on every row.
    const bias = graph.node('fc2').module.params.bias;
    expectTensorsClose(result.out, tf.tile(tf.reshape(bias, [1, 2]), [3, 1]));
    expectTensorsClose(result.seen, tf.relu(graph.derive({ output: 'fc1' }).run(x)));

    const doubled = graph.run(x, { hooks: [{ node: 'fc2', around: ({ compute }) => tf.mul(compute(), 2) }] });
    expectTensorsClose(doubled, tf.mul(graph.run(x), 2));
    const noBias = graph.run(x, {
      hooks: [{ node: 'fc2', around: ({ compute }) => compute(undefined, { bias: null }) }],
    });
    expectTensorsClose(tf.add(noBias, bias), graph.run(x), { atol: 1e-6 });
  });

  it('registers hooks with a handle that removes them (remove and Symbol.dispose)', () => {
    const zero: ForwardHook = { node: 'fc2', after: ({ output }) => tf.zerosLike(output) };
    const handle = graph.addHook(zero);
    expect(graph.hooks).toHaveLength(1);
    expect(tf.sum(tf.abs(graph.run(x))).dataSync()[0]).toBe(0);
    handle.remove();
    handle.remove();
    expect(graph.hooks).toHaveLength(0);
    {
      using _scoped = graph.addHook(zero);
      expect(graph.hooks).toHaveLength(1);
    }
    expect(graph.hooks).toHaveLength(0);
  });

  it('removes hooks when the body throws, and stamps errors with the hook and node', async () => {
    const failing: ForwardHook = {
      name: 'broken probe',
      node: 'relu1',
      after: () => {
        throw new Error('boom');
      },
    };
    await expect(withHooks(graph, [failing], () => graph.run(x))).rejects.toThrow(PluginError);
    await expect(withHooks(graph, [failing], () => graph.run(x))).rejects.toThrow(
      "broken probe failed in after at node 'relu1': boom",
    );
    expect(graph.hooks).toHaveLength(0);
    expect(() => graph.run(x, { hooks: [{ node: 'nope' }] })).toThrow(/no node named 'nope'/);
  });

  it('leaks nothing, hooks included', async () => {
    await expectNoLeaks(() =>
      graph.run(x, { hooks: [{ node: 'relu1', after: ({ output }) => tf.mul(output, 0.5) }] }),
    );
  });
});
