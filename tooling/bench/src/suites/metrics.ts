import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { neuronAblationCurves } from '@attrib/metrics';
import { neuronKnockout } from '@attrib/perturbation';
import { compareToBaseline, fixtureModel, type BenchSuite } from '../harness.js';

const SAMPLES = 64;
const SEEDS = 20;
const LAYER = 'relu1';

/** mulberry32 permutation, the same construction the metric uses for its random-k sets. */
function permutation(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The straightforward way, made as fair as it gets: one knock-out forward pass per (k, curve) with
 * the mean target logit kept on the device, everything read once at the end.
 */
async function oneForwardPerMask(
  model: Graph,
  inputs: tf.Tensor,
  ranking: number[],
  units: number,
): Promise<Float32Array> {
  const orders = [
    ranking,
    [...ranking].reverse(),
    ...Array.from({ length: SEEDS }, (_, s) => permutation(units, s)),
  ];
  const means: tf.Tensor[] = [];
  for (let k = 0; k <= units; k++) {
    for (const order of orders) {
      const knockout = neuronKnockout(model, { node: LAYER, units: order.slice(0, k) });
      means.push(tf.tidy(() => tf.mean(model.run(inputs, { hooks: [knockout.hook] }))));
      knockout.dispose();
    }
  }
  const all = tf.stack(means);
  tf.dispose(means);
  const data = (await all.data()) as Float32Array;
  all.dispose();
  return data;
}

export const suite: BenchSuite = {
  name: 'metrics',
  description: `full neuron ablation curve (every k, top/bottom/${SEEDS} random seeds) on mlp_pos_neg's ${LAYER}, ${SAMPLES} inputs: one forward per (k, seed) vs batched masks`,
  async run({ scale }) {
    const model = fixtureModel('mlp_pos_neg');
    const inputs = tf.randomUniform([SAMPLES, 96], -1, 1, 'float32', 7);
    const units = 64;
    const scores = Array.from({ length: units }, (_, u) => Math.sin(u * 1.7));
    const ranking = Array.from({ length: units }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    const labels = new Int32Array(SAMPLES);
    const iterations = Math.max(1, Math.round(3 * scale));
    try {
      return await compareToBaseline(
        `mlp_pos_neg / ${LAYER} (${(units + 1) * (SEEDS + 2)} masks × ${SAMPLES} inputs)`,
        {
          name: 'one knock-out forward per (k, seed)',
          fn: () => oneForwardPerMask(model, inputs, ranking, units),
        },
        [
          {
            name: 'neuronAblationCurves (batched masks)',
            fn: () =>
              neuronAblationCurves(model, {
                layer: LAYER,
                scores,
                evaluation: { inputs, labels },
                seeds: SEEDS,
              }),
          },
        ],
        { rounds: 3, iterations },
      );
    } finally {
      inputs.dispose();
    }
  },
};
