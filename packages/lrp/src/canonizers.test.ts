import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { GraphBuilder, PluginError, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  fixturePath,
  finiteDifferenceGradient,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { canonize, mergeBatchNorm, residualSum, resnetCanonizers } from './index.js';

function snapshot(graph: Graph) {
  return graph.nodes.map((n) => ({
    name: n.name,
    kind: n.module.kind,
    inputs: [...n.inputs],
    params: Object.entries(n.module.params).map(([k, t]) => [k, t, Array.from(t.dataSync())]),
  }));
}

describeWithBackends('canonizers', ['cpu'], () => {
  it('mergeBatchNorm keeps the logits (1e-5) and leaves the original graph untouched', async () => {
    const graph = loadModel(tinyModels.cnn());
    const before = snapshot(graph);
    const nodesBefore = graph.nodes;
    const x = randomTensor([3, 4, 4, 2], 1);
    const canonized = canonize(graph, [mergeBatchNorm()]);
    expect(canonized.graph.node('bn').module.kind).toBe('identity');
    expect(canonized.graph.node('conv').module.params.weight).not.toBe(
      graph.node('conv').module.params.weight,
    );
    expectTensorsClose(canonized.graph.run(x), graph.run(x), { atol: 1e-5, rtol: 1e-5 });
    canonized.dispose();
    expect(graph.nodes).toBe(nodesBefore);
    expect(snapshot(graph)).toEqual(before);
    // dispose frees exactly what the canonizer made.
    await expectNoLeaks(() => canonize(graph, [mergeBatchNorm()]).dispose());
  });

  for (const id of ['cnn_bn_pub', 'resblock_pub']) {
    const file = fixturePath('conformance', 'models', `${id}.json`);
    it(`resnetCanonizers keep ${id}'s logits (1e-5) and its graph`, () => {
      const graph = loadModel(JSON.parse(readFileSync(file, 'utf8')));
      const before = snapshot(graph);
      const x = randomTensor([3, 8, 8, 3], 9);
      const canonized = canonize(graph, resnetCanonizers());
      expect(canonized.graph.nodes.filter((n) => n.module.kind === 'batchnorm')).toHaveLength(0);
      expectTensorsClose(canonized.graph.run(x), graph.run(x), { atol: 1e-5, rtol: 1e-5 });
      canonized.dispose();
      expect(snapshot(graph)).toEqual(before);
    });
  }

  it('merges into a layer without bias, and skips a BatchNorm whose layer has other readers', () => {
    const spec = tinyModels.cnn();
    spec.nodes[0].bias = null;
    const graph = loadModel(spec);
    const x = randomTensor([2, 4, 4, 2], 2);
    const canonized = canonize(graph, [mergeBatchNorm()]);
    expectTensorsClose(canonized.graph.run(x), graph.run(x), { atol: 1e-5, rtol: 1e-5 });
    canonized.dispose();

    const branched = loadModel({
      ...spec,
      nodes: [
        ...spec.nodes.slice(0, 2),
        { name: 'skip', op: 'add', inputs: ['conv', 'bn'] },
        ...spec.nodes.slice(2).map((n) => (n.name === 'relu' ? { ...n, inputs: ['skip'] } : n)),
      ],
    });
    const untouched = canonize(branched, [mergeBatchNorm()]);
    expect(untouched.graph.node('bn').module.kind).toBe('batchnorm');
    untouched.dispose();
  });

  it('residualSum turns adds into sums with the same logits; resnetCanonizers does both', () => {
    const graph = loadModel(tinyModels.residual());
    const x = randomTensor([3, 4], 3);
    const canonized = canonize(graph, resnetCanonizers());
    expect(canonized.graph.node('add').module.kind).toBe('sum');
    expect(graph.node('add').module.kind).toBe('add');
    expectTensorsClose(canonized.graph.run(x), graph.run(x), { atol: 1e-6 });
    canonized.dispose();
    expect(() => residualSum({ nodes: ['nope'] }).apply(graph)).toThrow(/residualSum: no node named 'nope'/);
  });

  it('keeps the merged weights differentiable functions of the original parameters', () => {
    const x = randomTensor([2, 4, 4, 2], 4);
    const weight = randomTensor([3, 3, 2, 3], 5);
    const [mean, variance, beta] = [
      randomTensor([3], 6),
      randomTensor([3], 7, 0.5, 1.5),
      randomTensor([3], 8),
    ];
    // d Σ logits² / dγ of the BatchNorm, through the canonized graph, against finite differences.
    const loss = (gamma: tf.Tensor) => {
      const graph = new GraphBuilder({ name: 'x' })
        .conv2d('conv', { weight }, { pad: [1, 1, 1, 1] })
        .batchnorm('bn', { mean, variance, gamma, beta })
        .relu('relu')
        .build();
      const canonized = canonize(graph, [mergeBatchNorm()]);
      const value = tf.sum(tf.square(canonized.graph.run(x)));
      canonized.dispose();
      return value;
    };
    const gamma0 = tf.tensor1d([0.7, -0.4, 1.2]);
    const analytic = tf.grad(loss)(gamma0);
    const numeric = finiteDifferenceGradient((g) => loss(g).dataSync()[0], gamma0);
    expectTensorsClose(analytic, numeric, { atol: 1e-2, rtol: 1e-2 });
    expect(Math.max(...Array.from(analytic.dataSync()).map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('stamps a failing canonizer with its name and frees what earlier ones made', () => {
    const graph = loadModel(tinyModels.cnn());
    const before = tf.memory().numTensors;
    const broken = {
      name: 'broken',
      apply: () => {
        throw new Error('cannot');
      },
    };
    expect(() => canonize(graph, [mergeBatchNorm(), broken])).toThrow(PluginError);
    expect(() => canonize(graph, [mergeBatchNorm(), broken])).toThrow(
      "canonizer 'broken' failed in apply: cannot",
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(() => canonize(graph, [{} as never])).toThrow(/'canonizers\[0\]' passed to 'canonize'/);
  });
});
