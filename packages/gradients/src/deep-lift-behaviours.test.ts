import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, UnsupportedKindError, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  seededRandom,
} from '@attrib/test-utils';
import { deepLift } from './deep-lift.js';
import { guidedBackprop } from './guided-backprop.js';

const matrix = (rows: number, cols: number, seed: number) => {
  const next = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.fround(next() * 2 - 1)));
};

describeWithBackends("DeepLift's rule for each declared map", ['cpu', 'wasm'], () => {
  // y = v · (a ⊙ c), a = x·W1, c = x·W2: a product of two activations (map 'bilinear').
  const W1 = matrix(3, 4, 1);
  const W2 = matrix(3, 4, 2);
  const v = matrix(4, 1, 3);
  const product = new GraphBuilder({ name: 'x', shape: [null, 3] })
    .node('a', 'linear', { inputs: ['x'], params: { weight: tf.tensor2d(W1) } })
    .node('c', 'linear', { inputs: ['x'], params: { weight: tf.tensor2d(W2) } })
    .node('ac', 'mul', { inputs: ['a', 'c'] })
    .linear('out', { weight: tf.tensor2d(v) })
    .build();

  it('bilinear: a literal float64 Shapley split of Δ(a·c) at the midpoint, batched', () => {
    const x = randomTensor([3, 3], 4);
    const b = randomTensor([3, 3], 5);
    const { attributions, delta } = deepLift(product, x, { baselines: b, returnConvergenceDelta: true });
    // Literal: multipliers m_a = v ⊙ c̄, m_c = v ⊙ ā with ā, c̄ the means of x's and b's activations;
    // attribution_i = (x_i − b_i) Σ_j (W1_ij m_a_j + W2_ij m_c_j).
    const xs = x.arraySync() as number[][];
    const bs = b.arraySync() as number[][];
    const dot = (row: number[], W: number[][], j: number) => row.reduce((s, r, i) => s + r * W[i][j], 0);
    const expected = xs.map((xr, n) => {
      const br = bs[n];
      const aBar = [0, 1, 2, 3].map((j) => (dot(xr, W1, j) + dot(br, W1, j)) / 2);
      const cBar = [0, 1, 2, 3].map((j) => (dot(xr, W2, j) + dot(br, W2, j)) / 2);
      return xr.map(
        (xi, i) =>
          (xi - br[i]) *
          [0, 1, 2, 3].reduce((s, j) => s + W1[i][j] * v[j][0] * cBar[j] + W2[i][j] * v[j][0] * aBar[j], 0),
      );
    });
    expectTensorsClose(attributions, tf.tensor2d(expected), { atol: 1e-5 });
    // The split is exact: the attributions sum to f(x) − f(b) (a plain gradient would not).
    expectTensorsClose(delta!, tf.zeros([3]), { atol: 1e-5 });
    tf.dispose([x, b, attributions, delta!]);
  });

  it('bilinear: batched matmul of two activations sums to f(x) − f(b)', async () => {
    const model = new GraphBuilder({ name: 'x', shape: [null, 4] })
      .node('a', 'linear', { inputs: ['x'], params: { weight: randomTensor([4, 6], 6) } })
      .node('A', 'reshape', { config: { shape: [2, 3] } })
      .node('c', 'linear', { inputs: ['x'], params: { weight: randomTensor([4, 6], 7) } })
      .node('C', 'reshape', { config: { shape: [3, 2] } })
      .node('AC', 'matmul', { inputs: ['A', 'C'] })
      .node('flat', 'flatten')
      .linear('out', { weight: randomTensor([4, 2], 8) })
      .build();
    const x = randomTensor([5, 4], 9);
    const b = randomTensor([5, 4], 10);
    await expectNoLeaks(() => {
      const { attributions, delta } = deepLift(model, x, {
        target: 1,
        baselines: b,
        returnConvergenceDelta: true,
      });
      expectTensorsClose(delta!, [0, 0, 0, 0, 0], { atol: 1e-5 });
      tf.dispose([attributions, delta!]);
    });
    tf.dispose([x, b]);
  });

  it('elementwise (relu6, gelu, swish, clip, prelu) and affine (depthwise, add, average pool): Σ attributions = f(x) − f(b)', async () => {
    // A plain gradient through any of these nonlinearities would miss f(x) − f(b) by far more than 1e-4.
    const model = new GraphBuilder({ name: 'x', shape: [null, 5, 5, 3] })
      .node('expand', 'conv2d', { params: { weight: randomTensor([1, 1, 3, 6], 11) } })
      .node('act1', 'relu6')
      .node('dw', 'depthwiseConv2d', {
        params: { weight: randomTensor([3, 3, 6, 1], 12) },
        config: { pad: 'same' },
      })
      .node('act2', 'gelu')
      .node('project', 'conv2d', { params: { weight: randomTensor([1, 1, 6, 3], 13) } })
      .node('act3', 'swish')
      .node('add', 'add', { inputs: ['act3', 'x'] })
      .node('act4', 'clip', { config: { min: -0.5, max: 1 } })
      .node('act5', 'prelu', { params: { alpha: tf.tensor1d([0.1, 0.2, 0.3]) } })
      .node('pool', 'avgpool2d', { config: { size: [2, 2] } })
      .node('flat', 'flatten')
      .linear('fc', { weight: randomTensor([12, 4], 14) })
      .build();
    const x = tf.mul(randomTensor([3, 5, 5, 3], 15), 3);
    const b = randomTensor([3, 5, 5, 3], 16);
    await expectNoLeaks(() => {
      const { attributions, delta } = deepLift(model, x, {
        target: 2,
        baselines: b,
        returnConvergenceDelta: true,
      });
      expectTensorsClose(delta!, [0, 0, 0], { atol: 1e-4 });
      tf.dispose([attributions, delta!]);
    });
    tf.dispose([x, b]);
  });

  const refused: Array<[string, Graph]> = [
    [
      'softmax',
      new GraphBuilder({ name: 'x', shape: [null, 3] })
        .node('sm', 'softmax')
        .linear('out', { weight: tf.ones([3, 2]) })
        .build(),
    ],
    [
      'div',
      new GraphBuilder({ name: 'x', shape: [null, 3] })
        .node('sm', 'div', { inputs: ['x', 'x'] })
        .linear('out', { weight: tf.ones([3, 2]) })
        .build(),
    ],
  ];
  for (const [kind, model] of refused) {
    it(`other (${kind}): DeepLift refuses it by name; guided backprop keeps its plain gradient`, async () => {
      const x = tf.tensor2d([[1, 2, 3]]);
      await expectNoLeaks(() => {
        expect(() => deepLift(model, x, { target: 0 })).toThrow(
          new UnsupportedKindError(
            kind,
            'deepLift',
            'sm',
            `whose map is 'other', for which DeepLift has no rule (declare behaviour.rules.deepLift)`,
          ),
        );
        tf.dispose(guidedBackprop(model, x, { target: 0 }).attributions);
      });
      x.dispose();
    });
  }
});
