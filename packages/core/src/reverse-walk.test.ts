import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  fixturePath,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import {
  GraphBuilder,
  PluginError,
  gradients,
  loadModel,
  reverseWalk,
  selectTarget,
  vjp,
  type BackwardRule,
} from './index.js';

describeWithBackends('reverseWalk', ['cpu'], () => {
  const models = Object.entries(tinyModels).map(([name, spec]) => [name, loadModel(spec())] as const);
  for (const id of ['cnn_small', 'resblock_pub', 'tower3'])
    models.push([
      id,
      loadModel(JSON.parse(readFileSync(fixturePath('conformance', 'models', `${id}.json`), 'utf8'))),
    ] as const);

  for (const [name, graph] of models) {
    it(`${name}: the plain-gradient walk agrees with tf.grad of the whole model`, () => {
      const shape = graph.inputs[0].shape!.map((d) => d ?? 3) as number[];
      const x = randomTensor(shape, 31);
      const expected = tf.grad((v: tf.Tensor) => tf.sum(selectTarget(graph.run(v), 1, 'test')))(x);
      const walked = reverseWalk(graph, x, { target: 1, keep: 'all' });
      expectTensorsClose(walked.inputGradients[0], expected, { atol: 1e-6, rtol: 1e-5 });
      // What arrives at each node equals the gradient tap of `gradients` there.
      const node = graph.nodes[Math.floor(graph.nodes.length / 2)].name;
      const tapped = gradients(graph, x, { target: 1, tensors: [node] }).tensorGradients.get(node)!;
      expectTensorsClose(walked.nodeGradients.get(node)!, tapped, { atol: 1e-6, rtol: 1e-5 });
    });
  }

  it('gives a module used at two places the same result as two copies', () => {
    const w = randomTensor([3, 3], 41);
    const shared = new GraphBuilder({ name: 'x' })
      .linear('a', { weight: w })
      .relu('r')
      .reuse('b', 'a')
      .build();
    const copies = new GraphBuilder({ name: 'x' })
      .linear('a', { weight: w })
      .relu('r')
      .linear('b', { weight: tf.clone(w) })
      .build();
    const x = randomTensor([2, 3], 42);
    // A rule that scales by the input, so any mix-up of per-place inputs would show.
    const inputTimesGrad: BackwardRule = {
      name: 'x·g',
      backward: ({ node, inputs, gradOutput }) =>
        vjp((xs) => node.module.forward(xs), inputs, gradOutput).map((g, i) => tf.mul(g, inputs[i])),
    };
    const rules = (node: { module: { kind: string } }) =>
      node.module.kind === 'linear' ? inputTimesGrad : undefined;
    const a = reverseWalk(shared, x, { target: 0, rules, keep: 'all' });
    const b = reverseWalk(copies, x, { target: 0, rules, keep: 'all' });
    expectTensorsClose(a.inputGradients[0], b.inputGradients[0], { atol: 0, rtol: 0 });
    expectTensorsClose(a.nodeGradients.get('r')!, b.nodeGradients.get('r')!, { atol: 0, rtol: 0 });
  });

  it('stays differentiable with respect to parameters', () => {
    const w = randomTensor([3, 2], 51);
    const x = randomTensor([2, 3], 52);
    const explanationNorm = (weight: tf.Tensor) => {
      const graph = new GraphBuilder({ name: 'x' }).linear('fc', { weight }).build();
      const rule: BackwardRule = {
        name: 'x·g',
        backward: ({ node, inputs, gradOutput }) => [
          tf.mul(inputs[0], vjp((xs) => node.module.forward(xs), inputs, gradOutput)[0]),
        ],
      };
      return tf.sum(tf.square(reverseWalk(graph, x, { target: 0, rules: () => rule }).inputGradients[0]));
    };
    const analytic = tf.grad(explanationNorm)(w);
    // d/dW Σ (x·W[:,0])²… computed literally: R = x ⊙ W[:,0] per sample, Σ R² → 2 Σ_n x² W[:,0].
    const expected = tf.tidy(() => {
      const col = tf.mul(tf.sum(tf.square(x), 0), tf.mul(2, tf.reshape(tf.slice(w, [0, 0], [3, 1]), [3])));
      return tf.stack([col, tf.zeros([3])], 1);
    });
    expectTensorsClose(analytic, expected, { atol: 1e-5 });
  });

  it('names the rule and the node when a rule throws, and leaks nothing', async () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 61);
    const broken: BackwardRule = {
      name: 'broken',
      backward: () => {
        throw new Error('no relevance today');
      },
    };
    const before = tf.memory().numTensors;
    expect(() =>
      reverseWalk(graph, x, { target: 0, rules: (n) => (n.name === 'relu1' ? broken : undefined) }),
    ).toThrow(PluginError);
    expect(() =>
      reverseWalk(graph, x, { target: 0, rules: (n) => (n.name === 'relu1' ? broken : undefined) }),
    ).toThrow("rule 'broken' failed in backward at node 'relu1'");
    expect(tf.memory().numTensors).toBe(before);
    await expectNoLeaks(() => reverseWalk(graph, x, { target: 0, keep: 'all' }));
    expect(() => reverseWalk(graph, x, { target: 0, outputGradient: tf.ones([2, 5]) })).toThrow(
      /output gradient has shape/,
    );
  });
});
