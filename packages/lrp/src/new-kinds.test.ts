import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { canonize, epsilonPlusFlat, lrp, mergeBatchNorm, resnetCanonizers } from './index.js';

/** A MobileNet-style block: 1×1 conv, BN, relu6, depthwise 3×3 ('same'), BN, relu6, 1×1 conv, BN, residual add. */
function mobileBlock(): Graph {
  const bn = (c: number, seed: number) => ({
    mean: tf.mul(randomTensor([c], seed), 0.1),
    variance: tf.add(tf.abs(randomTensor([c], seed + 1)), 0.5),
    gamma: tf.add(tf.mul(randomTensor([c], seed + 2), 0.2), 1),
    beta: tf.mul(randomTensor([c], seed + 3), 0.1),
  });
  return new GraphBuilder({ name: 'x', shape: [null, 5, 5, 3] })
    .node('expand', 'conv2d', { params: { weight: randomTensor([1, 1, 3, 6], 1) } })
    .node('bn1', 'batchnorm', { params: bn(6, 10) })
    .node('act1', 'relu6')
    .node('dw', 'depthwiseConv2d', {
      params: { weight: randomTensor([3, 3, 6, 1], 2) },
      config: { pad: 'same' },
    })
    .node('bn2', 'batchnorm', { params: bn(6, 20) })
    .node('act2', 'relu6')
    .node('project', 'conv2d', { params: { weight: randomTensor([1, 1, 6, 3], 3) } })
    .node('bn3', 'batchnorm', { params: bn(3, 30) })
    .node('add', 'add', { inputs: ['bn3', 'x'] })
    .node('gap', 'globalAvgPool')
    .linear('fc', { weight: randomTensor([3, 4], 4), bias: randomTensor([4], 5) })
    .build();
}

describeWithBackends('LRP on the spatial and activation kinds, by what they declare', ['cpu', 'wasm'], () => {
  const model = mobileBlock();

  it('mergeBatchNorm folds every BN, the depthwise one included, keeping the logits', () => {
    const x = randomTensor([3, 5, 5, 3], 6);
    const canonized = canonize(model, [mergeBatchNorm()]);
    expect(['bn1', 'bn2', 'bn3'].map((n) => canonized.graph.node(n).module.kind)).toEqual([
      'identity',
      'identity',
      'identity',
    ]);
    expectTensorsClose(canonized.graph.run(x), model.run(x), { atol: 1e-5, rtol: 1e-5 });
    canonized.dispose();
    x.dispose();
  });

  it('epsilonPlusFlat: the residual add (family add) shares relevance once canonized, copies it before', async () => {
    const x = randomTensor([2, 5, 5, 3], 7);
    await expectNoLeaks(() => {
      for (const canonizers of [resnetCanonizers(), []]) {
        const result = lrp(model, x, { target: 1, composite: epsilonPlusFlat(), canonizers });
        const arrived = result.conservation.nodes.get('add')!;
        const absorbed = result.conservation.absorbed.get('add')!;
        // As a sum (norm rule) the node hands on what arrived (absorbing only the stabilizer's share);
        // as a plain add both branches receive all of it, so it hands on twice what arrived.
        const expected = canonizers.length ? tf.zerosLike(arrived) : tf.neg(arrived);
        expectTensorsClose(absorbed, expected, { atol: 1e-4 });
        expect(Math.min(...Array.from(arrived.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
        tf.dispose([
          expected,
          result.attributions,
          result.output,
          result.conservation.output,
          result.conservation.input,
          ...result.relevances.values(),
          ...result.conservation.nodes.values(),
          ...result.conservation.absorbed.values(),
        ]);
      }
    });
    x.dispose();
  });
});
