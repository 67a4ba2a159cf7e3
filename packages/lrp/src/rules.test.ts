import * as tf from '@tensorflow/tfjs-core';
import { createModule, InvalidArgumentError, type BackwardRule, type GraphNode } from '@attrib/core';
import {
  describeWithBackends,
  expectTensorsClose,
  literalConv,
  literalDense,
  literalRelevance,
  randomTensor,
  type LiteralLayer,
  type LiteralRule,
} from '@attrib/test-utils';
import {
  alphaBeta,
  deconvnetRelu,
  epsilon,
  flat,
  gamma,
  guidedBackpropRelu,
  norm,
  pass,
  wSquare,
  zBox,
  zPlus,
} from './index.js';

interface Layer {
  node: GraphNode;
  x: tf.Tensor;
  literal: LiteralLayer;
}

function dense(bias: boolean): Layer {
  const weight = randomTensor([5, 4], 11);
  const b = bias ? randomTensor([4], 12, -0.5, 0.5) : null;
  return {
    node: { name: 'fc', inputs: ['x'], module: createModule('linear', { weight, bias: b }) },
    x: randomTensor([3, 5], 13),
    literal: literalDense(weight.dataSync(), 5, 4, b?.dataSync()),
  };
}

function conv(bias: boolean, strides: [number, number], pad: [number, number, number, number]): Layer {
  const weight = randomTensor([3, 3, 2, 3], 21);
  const b = bias ? randomTensor([3], 22, -0.5, 0.5) : null;
  return {
    node: {
      name: 'conv',
      inputs: ['x'],
      module: createModule('conv2d', { weight, bias: b }, { strides, pad }),
    },
    x: randomTensor([2, 5, 5, 2], 23),
    literal: literalConv([5, 5, 2], weight.dataSync(), [3, 3, 2, 3], b?.dataSync() ?? null, strides, pad),
  };
}

/** The fast rule on the whole batch against the literal formula, sample by sample. */
function check(layer: Layer, rule: BackwardRule, spec: LiteralRule, tolerance = { atol: 1e-5, rtol: 1e-4 }) {
  tf.tidy(() => {
    const output = layer.node.module.forward([layer.x]);
    const gradOutput = randomTensor(output.shape, 31, 0, 1);
    const [actual] = rule.backward({ node: layer.node, inputs: [layer.x], output, gradOutput });
    const n = layer.x.shape[0];
    const xs = tf.reshape(layer.x, [n, -1]).arraySync() as number[][];
    const rs = tf.reshape(gradOutput, [n, -1]).arraySync() as number[][];
    const expected = xs.flatMap((x, k) => Array.from(literalRelevance(layer.literal, x, rs[k], spec)));
    expect(actual!.shape).toEqual(layer.x.shape);
    expectTensorsClose(tf.reshape(actual!, [-1]), expected, tolerance);
  });
}

describeWithBackends('LRP rules against their literal formulas', ['cpu', 'wasm'], () => {
  const layers: Array<[string, () => Layer]> = [
    ['dense with bias', () => dense(true)],
    ['dense without bias', () => dense(false)],
    ['conv with bias (pad 1)', () => conv(true, [1, 1], [1, 1, 1, 1])],
    ['conv without bias (stride 2, no pad)', () => conv(false, [2, 2], [0, 0, 0, 0])],
  ];
  const cases: Array<[string, () => BackwardRule, LiteralRule]> = [
    ['epsilon', () => epsilon({ epsilon: 0.1 }), { rule: 'epsilon', epsilon: 0.1 }],
    [
      'epsilon, zeroParams bias',
      () => epsilon({ epsilon: 0.1, zeroParams: 'bias' }),
      { rule: 'epsilon', epsilon: 0.1, zeroBias: true },
    ],
    ['zPlus', () => zPlus(), { rule: 'zPlus', stabilizer: 1e-6 }],
    [
      'zPlus, zeroParams bias',
      () => zPlus({ zeroParams: ['bias'] }),
      { rule: 'zPlus', stabilizer: 1e-6, zeroBias: true },
    ],
    ['alphaBeta 2/1', () => alphaBeta(), { rule: 'alphaBeta', alpha: 2, beta: 1, stabilizer: 1e-6 }],
    [
      'alphaBeta 1/0',
      () => alphaBeta({ alpha: 1, beta: 0 }),
      { rule: 'alphaBeta', alpha: 1, beta: 0, stabilizer: 1e-6 },
    ],
    [
      'gamma',
      () => gamma({ gamma: 0.25, stabilizer: 1e-3 }),
      { rule: 'gamma', gamma: 0.25, stabilizer: 1e-3 },
    ],
    [
      'gamma, zeroParams bias',
      () => gamma({ gamma: 0.5, stabilizer: 1e-3, zeroParams: 'bias' }),
      { rule: 'gamma', gamma: 0.5, stabilizer: 1e-3, zeroBias: true },
    ],
    ['zBox', () => zBox({ low: -1, high: 1 }), { rule: 'zBox', low: -1, high: 1, stabilizer: 1e-6 }],
    ['flat', () => flat(), { rule: 'flat', stabilizer: 1e-6 }],
    ['wSquare', () => wSquare(), { rule: 'wSquare', stabilizer: 1e-6 }],
    [
      'wSquare, zeroParams bias',
      () => wSquare({ zeroParams: 'bias' }),
      { rule: 'wSquare', stabilizer: 1e-6, zeroBias: true },
    ],
  ];
  for (const [layerName, makeLayer] of layers) {
    for (const [ruleName, makeRule, spec] of cases) {
      it(`${ruleName} on a ${layerName}`, () => check(makeLayer(), makeRule(), spec));
    }
  }

  it('zBox with per-channel bounds on a conv', () => {
    const layer = conv(true, [1, 1], [1, 1, 1, 1]);
    const low = tf.tensor1d([-1, -0.5]);
    const high = tf.tensor1d([0.5, 1]);
    // The literal takes one bound per flat input index: channel c of pixel p is index 2p + c.
    const perIndex = (values: number[]) => Array.from({ length: 5 * 5 * 2 }, (_, i) => values[i % 2]);
    check(layer, zBox({ low, high }), {
      rule: 'zBox',
      low: perIndex([-1, -0.5]),
      high: perIndex([0.5, 1]),
      stabilizer: 1e-6,
    });
    tf.dispose([low, high]);
  });

  it('the clipping stabilizer keeps |z| ≥ ε and leaves larger z alone', () => {
    const layer = dense(true);
    tf.tidy(() => {
      const output = layer.node.module.forward([layer.x]);
      const gradOutput = tf.onesLike(output);
      const huge = { epsilon: 1e3, clip: true };
      // With ε above every |z|, the denominator is ±ε exactly: R_in = x ⊙ (W·1)/ε with signs of z.
      const [clipped] = epsilon({ epsilon: huge }).backward({
        node: layer.node,
        inputs: [layer.x],
        output,
        gradOutput,
      });
      const signs = tf.sub(tf.mul(tf.cast(tf.greaterEqual(output, 0), 'float32'), 2), 1);
      const expected = tf.mul(
        layer.x,
        tf.matMul(tf.div(signs, 1e3), layer.node.module.params.weight, false, true),
      );
      expectTensorsClose(clipped!, expected, { atol: 1e-9, rtol: 1e-5 });
      // A tiny clip ε changes nothing where |z| is larger.
      const [tiny] = epsilon({ epsilon: { epsilon: 1e-12, clip: true } }).backward({
        node: layer.node,
        inputs: [layer.x],
        output,
        gradOutput,
      });
      const [plain] = epsilon({ epsilon: 0 }).backward({
        node: layer.node,
        inputs: [layer.x],
        output,
        gradOutput,
      });
      expectTensorsClose(tiny!, plain!, { atol: 0, rtol: 1e-6 });
    });
  });

  it('norm on an average pool and a sum shares relevance by contribution', () => {
    tf.tidy(() => {
      const a = randomTensor([2, 3], 41, 0.1, 1);
      const b = randomTensor([2, 3], 42, 0.1, 1);
      const R = randomTensor([2, 3], 43);
      const node: GraphNode = { name: 'add', inputs: ['a', 'b'], module: createModule('add') };
      const output = tf.add(a, b);
      const [ra, rb] = norm().backward({ node, inputs: [a, b], output, gradOutput: R });
      expectTensorsClose(ra!, tf.div(tf.mul(a, R), tf.add(output, 1e-6)), { atol: 1e-6 });
      expectTensorsClose(rb!, tf.div(tf.mul(b, R), tf.add(output, 1e-6)), { atol: 1e-6 });

      const x = randomTensor([1, 2, 2, 1], 44, 0.1, 1);
      const pool: GraphNode = {
        name: 'pool',
        inputs: ['x'],
        module: createModule('avgpool2d', {}, { size: [2, 2], strides: [2, 2] }),
      };
      const pooled = pool.module.forward([x]);
      const [rx] = norm().backward({
        node: pool,
        inputs: [x],
        output: pooled,
        gradOutput: tf.ones([1, 1, 1, 1]),
      });
      // Each of the four inputs gets its share x / Σx of the one unit of relevance.
      expectTensorsClose(rx!, tf.div(x, tf.add(tf.sum(x), 4e-6)), { atol: 1e-6 });
    });
  });

  it('pass, guidedBackprop and deconvnet ReLU rules', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[-1, 2, 0, 3]]);
      const g = tf.tensor2d([[1, -1, 2, 4]]);
      const node: GraphNode = { name: 'relu', inputs: ['x'], module: createModule('relu') };
      const context = { node, inputs: [x], output: tf.relu(x), gradOutput: g };
      expectTensorsClose(pass().backward(context)[0]!, g, { atol: 0 });
      expectTensorsClose(guidedBackpropRelu().backward(context)[0]!, [0, 0, 0, 4], { atol: 0 });
      expectTensorsClose(deconvnetRelu().backward(context)[0]!, [1, 0, 2, 4], { atol: 0 });
    });
  });

  it('rejects bad rule options with typed errors naming the argument', () => {
    expect(() => alphaBeta({ alpha: 3, beta: 1 })).toThrow(InvalidArgumentError);
    expect(() => alphaBeta({ alpha: 3, beta: 1 })).toThrow(
      /'alpha, beta' passed to 'alphaBeta' must be two numbers with α − β = 1/,
    );
    expect(() => epsilon({ epsilon: -1 })).toThrow(/'epsilon' passed to 'epsilon'/);
    expect(() => zPlus({ stabilizer: Number.NaN })).toThrow(/'stabilizer' passed to 'zPlus'/);
    expect(() => gamma({ gamma: -0.1 })).toThrow(/'gamma' passed to 'gamma'/);
    expect(() => zBox({ low: -1 } as never)).toThrow(/'high' passed to 'zBox'/);
    expect(() => flat({ zeroParams: 3 as never })).toThrow(/'zeroParams' passed to 'flat'/);
  });
});
