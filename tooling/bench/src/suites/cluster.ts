import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { clusterNeuronImportance } from '@attrib/gradients';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

const SAMPLES = 256;

/**
 * The researcher's loop, made as fair as it gets: per sample one forward and one backward pass with
 * a gradient tap at the layer, the three sums kept on the device and read once at the end.
 */
async function perSampleLoop(
  model: Graph,
  inputs: tf.Tensor,
  layer: string,
  targets: Int32Array,
): Promise<Float32Array[]> {
  let sums: tf.Tensor[] | undefined;
  for (let i = 0; i < inputs.shape[0]; i++) {
    const next = tf.tidy(() => {
      const { output, objective, inputGradients, tensorGradients, activations } = gradients(
        model,
        tf.slice(inputs, i, 1),
        {
          target: targets[i],
          tensors: [layer],
        },
      );
      tf.dispose([output, objective, ...inputGradients]);
      const g = tensorGradients.get(layer)!;
      const z = activations.get(layer)!;
      const terms = [g, tf.abs(g), tf.mul(g, z)];
      return sums ? terms.map((t, k) => tf.add(sums![k], t)) : terms.map((t) => tf.clone(t));
    });
    tf.dispose(sums);
    sums = next;
  }
  const means = await Promise.all(sums!.map((s) => s.data() as Promise<Float32Array>));
  tf.dispose(sums);
  return means.map((m) => m.map((v) => v / inputs.shape[0]));
}

const cases = [
  { model: 'tower3', layer: 'tower1', classes: 2, features: 3 },
  { model: 'mlp_pos_neg', layer: 'fc1', classes: 1, features: 96 },
];

export const suite: BenchSuite = {
  name: 'cluster',
  description: `cluster neuron importance over ${SAMPLES} inputs: per-sample backward loop vs one batched pass`,
  async run({ scale }) {
    const rows: BenchRow[] = [];
    for (const { model: id, layer, classes, features } of cases) {
      const model = fixtureModel(id);
      const inputs = tf.randomNormal([SAMPLES, features], 0, 1, 'float32', 42);
      const targets = Int32Array.from({ length: SAMPLES }, (_, i) => i % classes);
      const iterations = Math.max(1, Math.round(3 * scale));
      rows.push(
        ...(await compareToBaseline(
          `${id} / ${layer}`,
          {
            name: 'per-sample loop (forward+backward per sample)',
            fn: () => perSampleLoop(model, inputs, layer, targets),
          },
          [
            {
              name: 'clusterNeuronImportance (batched)',
              fn: () =>
                clusterNeuronImportance(model, {
                  layer,
                  clusters: { all: { inputs, targets } },
                  batchSize: SAMPLES,
                }),
            },
          ],
          { rounds: 3, iterations },
        )),
      );
      inputs.dispose();
    }
    return rows;
  },
};
