import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GraphBuilder,
  InvalidArgumentError,
  createModule,
  PluginError,
  ShapeMismatchError,
  UnknownNodeError,
  loadModel,
  selectTarget,
  type Graph,
} from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  fixturePath,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import {
  basicRule,
  epsilon,
  epsilonPlus,
  epsilonPlusFlat,
  gamma,
  kinds,
  layerMap,
  lrp,
  nameMap,
  norm,
  pass,
  resnetCanonizers,
  type LrpResult,
} from './index.js';

const shared = fixturePath('conformance');

function dispose(result: LrpResult) {
  tf.dispose([
    result.attributions,
    result.output,
    result.conservation.output,
    result.conservation.input,
    ...result.relevances.values(),
    ...result.conservation.nodes.values(),
    ...result.conservation.absorbed.values(),
  ]);
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** ε → 0 everywhere it applies, activations pass, average pools share by contribution. */
const nearZeroEpsilon = () =>
  layerMap([
    [kinds('linear', 'conv2d'), epsilon({ epsilon: 1e-9 })],
    ['relu', pass()],
    ['avgpool2d', norm({ stabilizer: 1e-9 })],
  ]);

function biasFreeNets(): Array<[string, Graph, tf.Tensor]> {
  const mlp = new GraphBuilder({ name: 'x', shape: [null, 6] })
    .linear('fc1', { weight: randomTensor([6, 8], 1) })
    .relu('relu1')
    .linear('fc2', { weight: randomTensor([8, 5], 2) })
    .relu('relu2')
    .linear('fc3', { weight: randomTensor([5, 3], 3) })
    .build();
  const cnn = new GraphBuilder({ name: 'x', shape: [null, 6, 6, 2] })
    .conv2d('conv', { weight: randomTensor([3, 3, 2, 4], 4) }, { pad: [1, 1, 1, 1] })
    .relu('relu')
    .avgpool2d('avg', { size: [2, 2] })
    .conv2d('conv2', { weight: randomTensor([3, 3, 4, 3], 5) })
    .relu('relu2')
    .maxpool2d('max', { size: [1, 1] })
    .flatten('flatten')
    .linear('fc', { weight: randomTensor([3, 2], 6) })
    .build();
  return [
    ['dense', mlp, randomTensor([4, 6], 7)],
    ['conv', cnn, randomTensor([3, 6, 6, 2], 8)],
  ];
}

describeWithBackends('lrp', ['cpu'], () => {
  for (const [name, graph, x] of biasFreeNets()) {
    it(`conserves relevance at every node of a bias-free ReLU ${name} net under ε → 0`, () => {
      const result = lrp(graph, x, { composite: nearZeroEpsilon(), target: 1 });
      const ones = new Array(x.shape[0]).fill(1);
      expect([...result.conservation.nodes.keys()].sort()).toEqual(graph.nodes.map((n) => n.name).sort());
      for (const [node, sum] of result.conservation.nodes) {
        expectTensorsClose(sum, ones, { atol: 1e-5, rtol: 0 });
        expectTensorsClose(result.conservation.absorbed.get(node)!, new Array(x.shape[0]).fill(0), {
          atol: 1e-5,
          rtol: 0,
        });
      }
      expectTensorsClose(result.conservation.input, ones, { atol: 1e-5, rtol: 0 });
      expectTensorsClose(result.conservation.output, ones, { atol: 0 });
      dispose(result);
    });
  }

  it('books what a bias absorbed: Σ_j R_j·(b_j + ε·sign z_j)/stab(z_j) for the epsilon rule', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([3, 3], 11);
    const result = lrp(graph, x, {
      composite: layerMap([
        ['linear', epsilon({ epsilon: 0.01 })],
        ['relu', pass()],
      ]),
      target: 0,
      nodes: ['fc2'],
    });
    // Literal check at fc2 with R = one-hot(0): absorbed = Σ_j R_j (1 − (z_j − b_j)/stab(z_j)).
    const z = tf.tidy(() => graph.forward(x).values.get('fc2')!.arraySync() as number[][]);
    const b = values(graph.node('fc2').module.params.bias);
    const expected = z.map((row) => {
      const stab = row[0] + 0.01 * (row[0] >= 0 ? 1 : -1);
      return 1 - (row[0] - b[0]) / stab;
    });
    expectTensorsClose(result.conservation.absorbed.get('fc2')!, expected, { atol: 1e-6, rtol: 1e-4 });
    // And in a chain, absorbed = what arrived − what arrived one node down.
    const drop = tf.sub(result.conservation.nodes.get('fc1')!, result.conservation.input);
    expectTensorsClose(result.conservation.absorbed.get('fc1')!, drop, { atol: 1e-6 });
    expect([...result.relevances.keys()]).toEqual(['fc2']);
    expectTensorsClose(result.relevances.get('fc2')!, tf.cast(tf.oneHot([0, 0, 0], 2), 'float32'), {
      atol: 0,
    });
    drop.dispose();
    dispose(result);
  });

  it('gives a layer used twice the same relevance as two copies', () => {
    const w = randomTensor([4, 4], 21);
    const b = randomTensor([4], 22);
    const shared = new GraphBuilder({ name: 'x' })
      .linear('a', { weight: w, bias: b })
      .relu('r')
      .reuse('a2', 'a')
      .build();
    const copies = new GraphBuilder({ name: 'x' })
      .linear('a', { weight: w, bias: b })
      .relu('r')
      .linear('a2', { weight: tf.clone(w), bias: tf.clone(b) })
      .build();
    const x = randomTensor([3, 4], 23);
    const options = {
      composite: nameMap({ a: gamma(), a2: epsilon({ epsilon: 0.1 }) }),
      target: 2,
      nodes: 'all' as const,
    };
    const one = lrp(shared, x, options);
    const two = lrp(copies, x, options);
    expectTensorsClose(one.attributions, two.attributions, { atol: 0, rtol: 0 });
    for (const node of ['a', 'r', 'a2'])
      expectTensorsClose(one.relevances.get(node)!, two.relevances.get(node)!, { atol: 0, rtol: 0 });
    dispose(one);
    dispose(two);
  });

  it('seeds with one-hot (Zennit) by default and with the logit (Captum) on request', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([3, 4, 4, 2], 31);
    const target = [0, 2, 1];
    const onehot = lrp(graph, x, { composite: epsilonPlusFlat(), target });
    const logit = lrp(graph, x, { composite: epsilonPlusFlat(), target, seed: 'logit' });
    const explicit = lrp(graph, x, {
      composite: epsilonPlusFlat(),
      outputRelevance: (out) => tf.mul(tf.oneHot(target, 3), out),
    });
    const fx = selectTarget(logit.output, target, 'test');
    expectTensorsClose(logit.attributions, tf.mul(onehot.attributions, tf.reshape(fx, [3, 1, 1, 1])), {
      atol: 1e-6,
      rtol: 1e-5,
    });
    expectTensorsClose(logit.conservation.output, fx, { atol: 1e-6 });
    expectTensorsClose(explicit.attributions, logit.attributions, { atol: 1e-6, rtol: 1e-5 });
    expectTensorsClose(onehot.conservation.output, [1, 1, 1], { atol: 0 });
    tf.dispose(fx);
    [onehot, logit, explicit].forEach(dispose);
  });

  it('is differentiable: tf.grad through a whole call matches finite differences (second order)', () => {
    const spec = tinyModels.mlp();
    const x = randomTensor([2, 3], 41);
    const mask = randomTensor([2, 3], 42);
    const w2 = randomTensor([4, 2], 43);
    // The explanation's projection on a fixed mask, as a function of the first layer's weights.
    const score = (w1: tf.Tensor) => {
      const graph = new GraphBuilder({ name: 'x' })
        .linear('fc1', { weight: w1 })
        .relu('relu1')
        .linear('fc2', { weight: w2 })
        .build();
      const result = lrp(graph, x, {
        composite: nameMap({ fc1: gamma({ stabilizer: 0.1 }), fc2: epsilon({ epsilon: 0.1 }) }),
        target: 1,
      });
      const value = tf.sum(tf.mul(result.attributions, mask));
      dispose(result);
      return value;
    };
    const w1 = tf.tensor(Float32Array.from((spec.nodes[0].weight as { data: number[] }).data), [3, 4]);
    const analytic = tf.grad(score)(w1);
    const numeric = finiteDifferenceGradient((w) => score(w).dataSync()[0], w1);
    expectTensorsClose(analytic, numeric, { atol: 2e-3, rtol: 1e-2 });
    expect(Math.max(...values(analytic).map(Math.abs))).toBeGreaterThan(0.05);
  });

  it('is differentiable in conv weights too (zPlus and flat on convs, BatchNorm merged)', () => {
    const x = randomTensor([2, 4, 4, 2], 44);
    const mask = randomTensor([2, 4, 4, 2], 45);
    const spec = tinyModels.cnn();
    const score = (weight: tf.Tensor) => {
      const graph = loadModel(spec);
      const withWeight = graph.derive({
        nodes: graph.nodes.map((n) =>
          n.name === 'conv'
            ? { ...n, module: createModule('conv2d', { ...n.module.params, weight }, n.module.config) }
            : n,
        ),
      });
      const result = lrp(withWeight, x, {
        composite: epsilonPlus({ stabilizer: 0.1, epsilon: 0.1 }),
        canonizers: resnetCanonizers(),
        target: 2,
      });
      const value = tf.sum(tf.mul(result.attributions, mask));
      dispose(result);
      return value;
    };
    const w = randomTensor([3, 3, 2, 3], 46);
    const analytic = tf.grad(score)(w);
    const numeric = finiteDifferenceGradient((v) => score(v).dataSync()[0], w);
    expectTensorsClose(analytic, numeric, { atol: 5e-3, rtol: 2e-2 });
    expect(Math.max(...values(analytic).map(Math.abs))).toBeGreaterThan(0.05);
  });

  it('leaks nothing, with canonizers and every node kept', async () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, 4, 4, 2], 51);
    await expectNoLeaks(() =>
      lrp(graph, x, {
        composite: epsilonPlusFlat(),
        canonizers: resnetCanonizers(),
        target: [0, 1],
        nodes: 'all',
      }),
    );
  });

  it('names the rule and the node when a user rule throws, leaking nothing and leaving no hook', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 61);
    const broken = basicRule({
      name: 'mine',
      passes: [{}],
      gradientMapper: () => {
        throw new Error('no');
      },
      reducer: (xs) => xs[0],
    });
    const before = tf.memory().numTensors;
    const call = () =>
      lrp(graph, x, { composite: nameMap({ fc1: broken }), canonizers: resnetCanonizers(), target: 0 });
    expect(call).toThrow(PluginError);
    expect(call).toThrow("rule 'mine' failed in backward at node 'fc1': no");
    expect(tf.memory().numTensors).toBe(before);
    expect(graph.hooks).toHaveLength(0);
    const throwingComposite = () => {
      throw new Error('bad map');
    };
    expect(() => lrp(graph, x, { composite: throwingComposite, target: 0 })).toThrow(
      "composite failed in select at node 'fc1': bad map",
    );
  });

  it('rejects bad input with typed errors naming the argument and the function', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 71);
    const before = tf.memory().numTensors;
    expect(() => lrp(graph, x, { target: 5 })).toThrow(InvalidArgumentError);
    expect(() => lrp(graph, x, { target: 5 })).toThrow(
      /'target' passed to 'lrp' must be a class index in \[0, 2\)/,
    );
    expect(() => lrp(graph, x, {})).toThrow(/'target' passed to 'lrp'/);
    expect(() => lrp(graph, randomTensor([2, 4], 72), { target: 0 })).toThrow(ShapeMismatchError);
    expect(() => lrp(graph, tf.tensor2d([[1, Number.NaN, 0]]), { target: 0 })).toThrow(
      /'inputs' passed to 'lrp' must be finite/,
    );
    expect(() => lrp(graph, x, { target: 0, nodes: ['fc7'] })).toThrow(UnknownNodeError);
    expect(() => lrp(graph, x, { target: 0, seed: 'softmax' as never })).toThrow(
      /'seed' passed to 'lrp' must be 'onehot' or 'logit'/,
    );
    expect(() => lrp(graph, x, { composite: 'epsilon' as never, target: 0 })).toThrow(
      /'composite' passed to 'lrp'/,
    );
    expect(() => lrp(graph, x, { target: 0, outputRelevance: tf.ones([2, 2]) })).toThrow(
      /'outputRelevance' passed to 'lrp'/,
    );
    expect(() => lrp(graph, x, { outputRelevance: tf.ones([2, 5]) })).toThrow(ShapeMismatchError);
    expect(() => lrp(graph, x, { target: 0, canonizers: 'all' as never })).toThrow(
      /'canonizers' passed to 'lrp'/,
    );
    expect(() => lrp(graph, x, { target: 0, composite: () => 'zPlus' as never })).toThrow(
      /'composite' passed to 'lrp' must be a rule \(\{ name, backward \}\) or undefined for node 'fc1', but got 'zPlus'/,
    );
    expect(tf.memory().numTensors).toBe(before + 4);
  });
});

// Smoke on both backends: a reference Zennit case (EpsilonPlusFlat on cnn_small) within its tolerance.
const fixture = join(shared, 'cases', 'cnn_small', 'zennit', 'EpsilonPlusFlat', 'plain.json');
describeWithBackends('lrp on a Zennit reference case', ['cpu', 'wasm'], () => {
  it('matches Zennit EpsilonPlusFlat on cnn_small', () => {
    const data = JSON.parse(readFileSync(fixture, 'utf8'));
    const graph = loadModel(JSON.parse(readFileSync(join(shared, 'models', 'cnn_small.json'), 'utf8')));
    const x = tf.tensor(Float32Array.from(data.inputs.data), data.inputs.shape);
    const result = lrp(graph, x, { composite: epsilonPlusFlat(), target: data.options.target });
    const { atol, rtol } = data.tolerance.perField.attributions ?? data.tolerance;
    expectTensorsClose(result.attributions, data.expected.attributions.data, { atol, rtol });
    expectTensorsClose(
      result.conservation.input,
      data.expected.relevanceSum.data,
      data.tolerance.perField.relevanceSum,
    );
    dispose(result);
    x.dispose();
  });
});
