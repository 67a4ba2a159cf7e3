import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, loadModel, tensorFromJson, type Graph, type JsonTensor } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  tokenAttentionModel,
} from '@attrib/test-utils';
import { layerIntegratedGradients } from './index.js';

/*
 * A token model (ids → embedding → layer norm → two self-attention heads of matmul, transpose and
 * softmax → mean pool → linear), written with GraphBuilder, explained by layer integrated gradients at
 * the embedding: the ids are integers, so the path runs in embedding space.
 */

const spec = tokenAttentionModel();
const weightOf = (node: string, param: string) =>
  tensorFromJson(spec.nodes.find((n) => n.name === node)![param] as JsonTensor);

function buildTokenModel(): Graph {
  const builder = new GraphBuilder({ name: 'ids', shape: [null, 6], dtype: 'int32' })
    .node('emb', 'embedding', { params: { weight: weightOf('emb', 'weight') } })
    .node('ln', 'layerNorm', { params: { gamma: weightOf('ln', 'gamma'), beta: weightOf('ln', 'beta') } });
  for (const h of [0, 1]) {
    for (const part of ['q', 'k', 'v'])
      builder.linear(`${part}${h}`, { weight: weightOf(`${part}${h}`, 'weight') }, ['ln']);
    builder
      .node(`kT${h}`, 'transpose', { inputs: [`k${h}`], config: { perm: [0, 2, 1] } })
      .node(`scores${h}`, 'matmul', { inputs: [`q${h}`, `kT${h}`] })
      .node(`scaled${h}`, 'scaleShift', { params: { scale: tf.tensor1d([0.5]) } })
      .node(`attention${h}`, 'softmax', { config: { axis: -1 } })
      .node(`context${h}`, 'matmul', { inputs: [`attention${h}`, `v${h}`] });
  }
  return builder
    .concat('heads', ['context0', 'context1'], -1)
    .add('residual', ['ln', 'heads'])
    .node('pool', 'reduceMean', { config: { axes: [1] } })
    .linear('fc', { weight: weightOf('fc', 'weight'), bias: weightOf('fc', 'bias') })
    .build();
}

const ids = () =>
  tf.tensor2d(
    [
      [3, 7, 1, 9, 4, 2],
      [5, 5, 10, 1, 8, 6],
      [2, 9, 9, 3, 7, 0],
      [10, 4, 6, 8, 1, 3],
    ],
    [4, 6],
    'int32',
  );

describeWithBackends('token model: layer integrated gradients at the embedding', ['cpu', 'wasm'], () => {
  let model: Graph;
  beforeAll(() => {
    model = buildTokenModel();
  });

  it('the builder graph and the attrib-model/1 file compute the same logits', () => {
    const loaded = loadModel(spec);
    const x = ids();
    tf.tidy(() => expectTensorsClose(model.run(x), loaded.run(x), { atol: 0, rtol: 0 }));
    tf.dispose([x, ...loaded.nodes.flatMap((n) => Object.values(n.module.params))]);
  });

  it('is complete at 64 steps: Σ attributions = f(ids) − f(padding ids) within 1e-3, per sample', async () => {
    const x = ids();
    const padding = tf.zerosLike(x);
    const target = [0, 1, 2, 1];
    const { attributions, delta } = await layerIntegratedGradients(model, x, {
      layer: 'emb',
      target,
      baselines: padding,
      nSteps: 64,
      returnConvergenceDelta: true,
    });
    expect(attributions.shape).toEqual([4, 6, 8]);
    // f(x) − f(b) from two plain forward passes, not from the method.
    const fx = model.run(x).arraySync() as number[][];
    const fb = model.run(padding).arraySync() as number[][];
    const sums = tf.sum(attributions, [1, 2]).arraySync() as number[];
    target.forEach((t, n) => {
      const gap = fx[n]![t]! - fb[n]![t]!;
      expect(Math.abs(gap)).toBeGreaterThan(1e-2);
      expect(Math.abs(sums[n]! - gap)).toBeLessThan(1e-3);
    });
    expect(Math.max(...(delta!.arraySync() as number[]).map(Math.abs))).toBeLessThan(1e-3);
    // Sample 2 ends in the padding id itself: that token's embedding does not move, so it gets nothing.
    expectTensorsClose(tf.slice(attributions, [2, 5, 0], [1, 1, 8]), tf.zeros([1, 1, 8]), {
      atol: 0,
      rtol: 0,
    });
    tf.dispose([x, padding, attributions, delta!]);
  });

  it('leaves no tensor behind', async () => {
    const x = ids();
    await expectNoLeaks(() =>
      layerIntegratedGradients(model, x, {
        layer: 'emb',
        target: 0,
        nSteps: 8,
        returnConvergenceDelta: true,
      }),
    );
    x.dispose();
  });

  it('refuses input gradients of the ids with a typed error naming the input', async () => {
    const { integratedGradients } = await import('./index.js');
    const x = ids();
    await expect(integratedGradients(model, x, { target: 0 })).rejects.toThrow(/'ids'/);
    x.dispose();
  });
});
