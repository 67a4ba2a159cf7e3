import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
} from '@attrib/test-utils';
import { GraphBuilder, reverseWalk, type Graph } from './index.js';

/**
 * Second-order gradients through the reverse walk: d/dθ Σ mask · (walked input gradient), checked
 * against central finite differences of the same scalar (independent of any tfjs gradient), and, where
 * tfjs can differentiate twice on its own, against plain `tf.grad` of `tf.grad`. Every graph has a fork
 * (a node read by two later nodes), where the walk used to add a second copy of a branch's backward.
 */

/** A graph built from one trainable tensor `theta` (so finite differences can perturb it). */
interface Case {
  readonly name: string;
  readonly theta: tf.Tensor;
  readonly input: tf.Tensor;
  readonly build: (theta: tf.Tensor) => Graph;
  /** Whether tfjs's own second order works here (it has no gradient for MaxPoolGrad or AvgPoolGrad). */
  readonly plainSecondOrder: boolean;
}

function cases(): Case[] {
  const w2 = randomTensor([4, 4], 2);
  const w3 = randomTensor([4, 2], 3);
  const conv = randomTensor([2, 2, 2, 3], 6);
  return [
    {
      name: 'residual block: fc1 → relu → (fc2 + skip) → fc3',
      theta: randomTensor([3, 4], 1),
      input: randomTensor([2, 3], 4),
      build: (w1) =>
        new GraphBuilder({ name: 'x' })
          .linear('fc1', { weight: w1 })
          .relu('r')
          .linear('fc2', { weight: w2 })
          .add('s', ['fc2', 'r'])
          .linear('fc3', { weight: w3 })
          .build(),
      plainSecondOrder: true,
    },
    {
      name: 'concat of two branches of one relu',
      theta: randomTensor([3, 4], 11),
      input: randomTensor([2, 3], 12),
      build: (w1) =>
        new GraphBuilder({ name: 'x' })
          .linear('fc1', { weight: w1 })
          .relu('r')
          .linear('left', { weight: w2 })
          .relu('lr')
          .slice('right', [0, 1], [-1, 2], ['r'])
          .concat('c', ['lr', 'right'])
          .linear('fc3', { weight: randomTensor([6, 2], 13) })
          .build(),
      plainSecondOrder: true,
    },
    {
      name: 'a layer used at two places (the input read by both)',
      theta: randomTensor([3, 3], 21),
      input: randomTensor([2, 3], 22),
      build: (w) =>
        new GraphBuilder({ name: 'x' })
          .linear('a', { weight: w })
          .relu('r')
          .reuse('b', 'a')
          .add('s', ['b', 'x'])
          .linear('out', { weight: randomTensor([3, 2], 23) })
          .build(),
      plainSecondOrder: true,
    },
    {
      // tfjs's own second order is wrong here: it records the clone of a saved Tanh/Sigmoid output
      // before the kernel, so its tape filter drops that path (the walk reorders its tape).
      name: 'fc1 → tanh → (fc2 → sigmoid) + skip → fc3',
      theta: randomTensor([3, 4], 31),
      input: randomTensor([2, 3], 32),
      build: (w1) =>
        new GraphBuilder({ name: 'x' })
          .linear('fc1', { weight: w1 })
          .node('t', 'tanh')
          .linear('fc2', { weight: w2 })
          .node('s', 'sigmoid')
          .add('sum', ['s', 't'])
          .linear('fc3', { weight: w3 })
          .build(),
      plainSecondOrder: false,
    },
    {
      name: 'conv → tanh → overlapping, padded max-pool (3×3, stride 2, pad 1) with a skip',
      theta: conv,
      input: randomTensor([2, 5, 5, 2], 7),
      build: (w) =>
        new GraphBuilder({ name: 'x' })
          .conv2d('conv', { weight: w })
          .node('r', 'tanh')
          .maxpool2d('pool', { size: [3, 3], strides: [2, 2], pad: [1, 1, 1, 1] })
          .avgpool2d('skip', { size: [2, 2], strides: [2, 2] }, ['r'])
          .add('s', ['pool', 'skip'])
          .flatten('flat')
          .linear('fc', { weight: randomTensor([12, 2], 8) })
          .build(),
      plainSecondOrder: false,
    },
    {
      name: 'conv → tanh → overlapping average pool (2×2, stride 1) and a tiling max-pool',
      theta: conv,
      input: randomTensor([2, 5, 5, 2], 9),
      build: (w) =>
        new GraphBuilder({ name: 'x' })
          .conv2d('conv', { weight: w })
          .node('r', 'tanh')
          .avgpool2d('avg', { size: [2, 2], strides: [1, 1] })
          .maxpool2d('max', { size: [2, 2] }, ['r'])
          .flatten('fa', ['avg'])
          .flatten('fm', ['max'])
          .concat('c', ['fa', 'fm'])
          .linear('fc', { weight: randomTensor([39, 2], 10) })
          .build(),
      plainSecondOrder: false,
    },
    {
      name: 'conv → tanh → overlapping, padded max-pool and an overlapping average pool (θ: the last weight)',
      theta: randomTensor([39, 2], 14),
      input: randomTensor([2, 5, 5, 2], 15),
      build: (w) =>
        new GraphBuilder({ name: 'x' })
          .conv2d('conv', { weight: conv })
          .node('r', 'tanh')
          .maxpool2d('max', { size: [3, 3], strides: [2, 2], pad: [1, 1, 1, 1] })
          .avgpool2d('avg', { size: [2, 2], strides: [1, 1] }, ['r'])
          .flatten('fm', ['max'])
          .flatten('fa', ['avg'])
          .concat('c', ['fm', 'fa'])
          .linear('fc', { weight: w })
          .build(),
      plainSecondOrder: false,
    },
  ];
}

describeWithBackends('reverseWalk under tf.grad (second order)', ['cpu', 'wasm'], (backend) => {
  for (const c of cases()) {
    // tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so no conv weight gradient there at all.
    const convOnWasm = backend === 'wasm' && c.theta.rank === 4;
    (convOnWasm ? it.skip : it)(`${c.name}: matches finite differences`, () => {
      const mask = tf.tidy(() => randomTensor(c.input.shape, 99));
      const explanation = (theta: tf.Tensor) =>
        reverseWalk(c.build(theta), c.input, { target: 0 }).inputGradients[0];
      const loss = (theta: tf.Tensor) => tf.sum(tf.mul(mask, explanation(theta)));
      const analytic = tf.grad(loss)(c.theta);
      const numeric = finiteDifferenceGradient((t) => loss(t).dataSync()[0], c.theta, 1e-3);
      expectTensorsClose(analytic, numeric, { atol: 2e-3, rtol: 2e-3 });
      // The first-order values computed inside tf.grad equal those computed outside it.
      let inside: Float32Array | undefined;
      tf.grad((theta: tf.Tensor) => {
        const e = explanation(theta);
        inside = e.dataSync() as Float32Array;
        return tf.sum(e);
      })(c.theta);
      expectTensorsClose(inside!, explanation(c.theta), { atol: 1e-6, rtol: 1e-5 });
      if (c.plainSecondOrder) {
        const plain = tf.grad((theta: tf.Tensor) => {
          const graph = c.build(theta);
          const g = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(graph.run(x), [0, 0], [-1, 1])))(c.input);
          return tf.sum(tf.mul(mask, g));
        })(c.theta);
        expectTensorsClose(analytic, plain, { atol: 1e-5, rtol: 1e-4 });
      }
    });
  }

  // A ReLU net's input gradient is piecewise constant in x (its second derivative is 0 almost
  // everywhere), so the smooth fork is the case that can fail.
  it('differentiates with respect to the input too (the tanh/sigmoid fork)', () => {
    for (const c of cases().filter((k) => k.name.includes('sigmoid'))) {
      const graph = c.build(c.theta);
      const mask = randomTensor(c.input.shape, 98);
      const loss = (x: tf.Tensor) =>
        tf.sum(tf.mul(mask, reverseWalk(graph, x, { target: 0 }).inputGradients[0]));
      const analytic = tf.grad(loss)(c.input);
      const numeric = finiteDifferenceGradient((x) => loss(x).dataSync()[0], c.input, 1e-3);
      expectTensorsClose(analytic, numeric, { atol: 2e-3, rtol: 2e-3 });
      expect(Math.max(...Array.from(numeric, Math.abs))).toBeGreaterThan(0.05);
    }
  });

  it('leaks nothing under tf.grad', async () => {
    const [c] = cases();
    await expectNoLeaks(() =>
      tf.grad((theta: tf.Tensor) =>
        tf.sum(reverseWalk(c.build(theta), c.input, { target: 0 }).inputGradients[0]),
      )(c.theta),
    );
  });
});
