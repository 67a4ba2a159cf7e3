import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createModule, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  fixturePath,
  randomTensor,
} from '@attrib/test-utils';
import {
  captumDefault,
  deconvnet,
  epsilonAlpha2Beta1,
  epsilonAlpha2Beta1Flat,
  epsilonGammaBox,
  epsilonPlus,
  epsilonPlusFlat,
  excitationBackprop,
  guidedBackprop,
  lrp,
  resnetCanonizers,
  type Canonizer,
  type Composite,
} from './index.js';

/**
 * Explanation-guided training differentiates an explanation with respect to the parameters. These
 * tests check d/dθ Σ mask · lrp(θ) against central finite differences along a random direction, on the
 * public models with forks (resblock_pub: a residual block) and pools (max and average), through the
 * BatchNorm-merging canonizers (θ = a BatchNorm's γ reaches the explanation only through the merged
 * weights) and without them.
 */

// Moderate stabilizers keep the explanation a well-conditioned function of θ for the difference quotient.
const options = { epsilon: 0.05, stabilizer: 0.05 };
// The ReLU rules clip the gradient itself, so their explanation is piecewise linear in θ with a kink
// wherever some gradient crosses zero; within a piece a difference quotient is exact, so they take a
// step small enough to stay in one piece.
const pieceStep = 1e-4;
const presets: Record<string, () => Composite> = {
  epsilonPlus: () => epsilonPlus(options),
  epsilonAlpha2Beta1: () => epsilonAlpha2Beta1(options),
  epsilonPlusFlat: () => epsilonPlusFlat(options),
  epsilonAlpha2Beta1Flat: () => epsilonAlpha2Beta1Flat(options),
  epsilonGammaBox: () => epsilonGammaBox({ ...options, low: -1, high: 1 }),
  guidedBackprop: () => guidedBackprop(),
  deconvnet: () => deconvnet(),
  excitationBackprop: () => excitationBackprop({ stabilizer: 0.05 }),
  captumDefault: () => captumDefault(),
};

/** `graph` with one parameter replaced (the same kind, config and other parameters). */
function withParam(graph: Graph, node: string, param: string, value: tf.Tensor): Graph {
  return graph.derive({
    nodes: graph.nodes.map((n) =>
      n.name === node
        ? {
            ...n,
            module: createModule(
              n.module.kind,
              { ...n.module.params, [param]: value },
              n.module.config,
              n.name,
            ),
          }
        : n,
    ),
  });
}

interface Setup {
  readonly model: string;
  readonly node: string;
  readonly param: string;
  readonly canonizers?: readonly Canonizer[];
}

function check(setup: Setup, composite: () => Composite, h: number): void {
  const graph = loadModel(
    JSON.parse(readFileSync(fixturePath('conformance', 'models', `${setup.model}.json`), 'utf8')),
  );
  const x = randomTensor([2, 8, 8, 3], 3);
  const mask = randomTensor([2, 8, 8, 3], 4);
  const theta0 = graph.node(setup.node).module.params[setup.param];
  const direction = randomTensor(theta0.shape, 5);
  const explain = (theta: tf.Tensor) =>
    lrp(withParam(graph, setup.node, setup.param, theta), x, {
      composite: composite(),
      canonizers: setup.canonizers,
      target: 1,
    }).attributions;
  const loss = (theta: tf.Tensor) => tf.sum(tf.mul(mask, explain(theta)));
  const analytic = tf.tidy(() => tf.sum(tf.mul(tf.grad(loss)(theta0), direction)).dataSync()[0]);
  // The difference quotient sums Σ mask · explanation on the host in float64 (float32 sums would
  // drown a small derivative in rounding).
  const maskData = mask.dataSync();
  const at = (s: number) =>
    tf.tidy(() => {
      const e = explain(tf.add(theta0, tf.mul(direction, s))).dataSync() as Float32Array;
      return e.reduce((sum, value, i) => sum + value * maskData[i], 0);
    });
  const numeric = (at(h) - at(-h)) / (2 * h);
  expectTensorsClose([analytic], [numeric], { atol: 2e-4, rtol: 2e-3 });
  // Not vacuous: the explanation does move with θ.
  expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
  // The explanation computed inside tf.grad is the one computed outside it.
  let inside: Float32Array | undefined;
  tf.tidy(() =>
    tf.grad((theta: tf.Tensor) => {
      const e = explain(theta);
      inside = e.dataSync() as Float32Array;
      return tf.sum(e);
    })(theta0),
  );
  expectTensorsClose(
    inside!,
    tf.tidy(() => explain(theta0)),
    { atol: 1e-6, rtol: 1e-5 },
  );
}

describeWithBackends('lrp under tf.grad (second order)', ['cpu', 'wasm'], (backend) => {
  const setups: Setup[] = [
    { model: 'resblock_pub', node: 'fc', param: 'weight' },
    { model: 'resblock_pub', node: 'fc', param: 'weight', canonizers: resnetCanonizers() },
    { model: 'cnn_bn_pub', node: 'fc', param: 'weight', canonizers: resnetCanonizers() },
    { model: 'resblock_pub', node: 'block.bn1', param: 'gamma' },
  ];
  // tfjs-backend-wasm has no Conv2DBackpropFilter, so γ through merged conv weights is cpu only.
  if (backend === 'cpu') {
    setups.push({ model: 'resblock_pub', node: 'block.bn1', param: 'gamma', canonizers: resnetCanonizers() });
  }
  for (const setup of setups) {
    const label = `${setup.model}, d/d ${setup.node}.${setup.param}${setup.canonizers ? ', canonized' : ''}`;
    for (const [name, composite] of Object.entries(presets)) {
      const step = name === 'guidedBackprop' || name === 'deconvnet' ? pieceStep : 1e-3;
      it(`${label}, ${name}: matches finite differences`, () => check(setup, composite, step));
    }
  }

  // The merged layer's bias is (b − mean)·γ/√(var+ε) + β and its weight W·γ/√(var+ε): every BatchNorm
  // parameter reaches the explanation only through them. (Weights need Conv2DBackpropFilter: cpu only.)
  const bnParams = backend === 'cpu' ? ['beta', 'mean', 'variance'] : ['beta', 'mean'];
  for (const param of bnParams) {
    it(`resblock_pub, d/d block.bn1.${param}, canonized, epsilonPlus: matches finite differences`, () =>
      check(
        { model: 'resblock_pub', node: 'block.bn1', param, canonizers: resnetCanonizers() },
        presets.epsilonPlus,
        1e-3,
      ));
  }

  it('leaks nothing under tf.grad', async () => {
    const graph = loadModel(
      JSON.parse(readFileSync(fixturePath('conformance', 'models', 'resblock_pub.json'), 'utf8')),
    );
    const x = randomTensor([2, 8, 8, 3], 3);
    const w = graph.node('fc').module.params.weight;
    await expectNoLeaks(() =>
      tf.grad((theta: tf.Tensor) => {
        const result = lrp(withParam(graph, 'fc', 'weight', theta), x, {
          composite: epsilonPlus(),
          canonizers: resnetCanonizers(),
          target: 0,
        });
        const { conservation } = result;
        // Everything the result owns but the attributions (kept tensors outlive the gradient's scope).
        tf.dispose([
          result.output,
          ...result.relevances.values(),
          conservation.output,
          conservation.input,
          ...conservation.nodes.values(),
          ...conservation.absorbed.values(),
        ]);
        return tf.sum(result.attributions);
      })(w),
    );
  });
});
