import * as tf from '@tensorflow/tfjs-core';
import { featureAblation, occlusion } from '@attrib/perturbation';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

const target = 1;

export const suite: BenchSuite = {
  name: 'perturbation',
  description:
    'featureAblation and occlusion on cnn_small: perturbationsPerEval 1 (baseline) vs stacked forwards',
  async run({ scale }) {
    const rows: BenchRow[] = [];
    const model = fixtureModel('cnn_small');
    const inputs = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 13);
    // 2×2 patches shared by the channels: 64 groups, so 64 perturbed forward passes of the batch.
    const patch = Array.from(
      { length: 16 * 16 },
      (_, p) => Math.floor(Math.floor(p / 16) / 2) * 8 + Math.floor((p % 16) / 2),
    );
    const featureMask = tf.tensor(patch, [1, 16, 16, 1], 'int32');
    const iterations = Math.max(1, Math.round(3 * scale));
    const ablation = (perturbationsPerEval: number) => async () =>
      (await featureAblation(model, inputs, { target, featureMask, perturbationsPerEval })).attributions;
    rows.push(
      ...(await compareToBaseline(
        'cnn_small, batch 4: featureAblation, 64 groups',
        { name: 'perturbationsPerEval 1', fn: ablation(1) },
        [
          { name: 'perturbationsPerEval 4', fn: ablation(4) },
          { name: 'perturbationsPerEval 16', fn: ablation(16) },
          { name: 'perturbationsPerEval 64', fn: ablation(64) },
        ],
        { rounds: 3, iterations },
      )),
    );
    const windows = (perturbationsPerEval: number) => async () =>
      (
        await occlusion(model, inputs, {
          target,
          slidingWindowShapes: [3, 3, 3],
          strides: [2, 2, 3],
          perturbationsPerEval,
        })
      ).attributions;
    rows.push(
      ...(await compareToBaseline(
        'cnn_small, batch 4: occlusion 3×3×3 / 2×2×3 (64 windows)',
        { name: 'perturbationsPerEval 1', fn: windows(1) },
        [{ name: 'perturbationsPerEval 16', fn: windows(16) }],
        { rounds: 3, iterations },
      )),
    );
    tf.dispose([inputs, featureMask]);
    return rows;
  },
};
