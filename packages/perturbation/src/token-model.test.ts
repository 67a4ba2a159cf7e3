import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  tokenAttentionModel,
} from '@attrib/test-utils';
import { featureAblation } from './index.js';

/*
 * Feature ablation over the tokens of a token model (ids → embedding → layer norm → two self-attention
 * heads → mean pool → linear; test-utils' tokenAttention): the input is int32 ids, and an ablated
 * token becomes the padding id.
 */

const ids = () =>
  tf.tensor2d(
    [
      [3, 7, 1, 9, 4, 2],
      [5, 5, 10, 1, 8, 6],
      [2, 9, 9, 3, 7, 0],
    ],
    [3, 6],
    'int32',
  );

describeWithBackends('token model: feature ablation over tokens', ['cpu', 'wasm'], () => {
  let model: Graph;
  beforeAll(() => {
    model = loadModel(tokenAttentionModel());
  });
  afterAll(() => tf.dispose(model.nodes.flatMap((n) => Object.values(n.module.params))));

  it('each token gets f(ids)[t] − f(ids with that token set to padding)[t], one forward per ablation', async () => {
    const x = ids();
    const target = [2, 0, 1];
    const { attributions } = await featureAblation(model, x, { target, baselines: 0 });
    // Literal: one plain forward per (sample, token) with that token replaced by id 0.
    const rows = x.arraySync() as number[][];
    const logits = (r: number[][]) =>
      tf.tidy(() => model.run(tf.tensor2d(r, [r.length, 6], 'int32')).arraySync() as number[][]);
    const reference = logits(rows);
    const expected = rows.map((row, n) =>
      row.map((_, l) => {
        const ablated = row.map((id, k) => (k === l ? 0 : id));
        return reference[n]![target[n]!]! - logits([ablated])[0]![target[n]!]!;
      }),
    );
    expect(attributions.dtype).toBe('float32');
    expectTensorsClose(attributions, tf.tensor2d(expected), { atol: 1e-5, rtol: 1e-5 });
    // The padding token of sample 2 is its own baseline: nothing changes.
    expect(expected[2]![5]).toBe(0);
    expect(expected.flat().filter((v) => Math.abs(v) > 1e-3).length).toBeGreaterThan(10);
    tf.dispose([x, attributions]);
  });

  it('groups tokens with a feature mask [1, 6] (two spans of three)', async () => {
    const x = ids();
    const mask = tf.tensor2d([[0, 0, 0, 1, 1, 1]], [1, 6], 'int32');
    const { attributions } = await featureAblation(model, x, { target: 1, featureMask: mask, baselines: 0 });
    const rows = x.arraySync() as number[][];
    const logit = (r: number[]) =>
      tf.tidy(() => (model.run(tf.tensor2d([r], [1, 6], 'int32')).arraySync() as number[][])[0]![1]!);
    const expected = rows.map((row) => {
      const first = logit(row) - logit(row.map((id, k) => (k < 3 ? 0 : id)));
      const second = logit(row) - logit(row.map((id, k) => (k >= 3 ? 0 : id)));
      return row.map((_, k) => (k < 3 ? first : second));
    });
    expectTensorsClose(attributions, tf.tensor2d(expected), { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([x, mask, attributions]);
  });

  it('leaves no tensor behind', async () => {
    const x = ids();
    await expectNoLeaks(() => featureAblation(model, x, { target: 0, baselines: 0 }));
    x.dispose();
  });
});
