import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { deconvolution, deepLift, guidedBackprop, layerGradCam } from '@attrib/gradients';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

const SAMPLES = 32;

/** The floor every rule-based method is compared with: one forward and one autograd backward. */
function plainGradient(model: Graph, inputs: tf.Tensor, target: number): tf.Tensor {
  const { output, objective, inputGradients } = gradients(model, inputs, { target });
  tf.dispose([output, objective]);
  return inputGradients[0];
}

/** DeepLift one sample at a time, the way a per-sample explainer loop would run it. */
function perSampleDeepLift(model: Graph, inputs: tf.Tensor, target: number): tf.Tensor {
  return tf.tidy(() =>
    tf.concat(
      Array.from(
        { length: inputs.shape[0] },
        (_, i) => deepLift(model, tf.slice(inputs, i, 1), { target }).attributions,
      ),
      0,
    ),
  );
}

const cases = [
  { model: 'cnn_small', shape: [16, 16, 3], layer: 'conv2' },
  { model: 'resblock_pub', shape: [8, 8, 3], layer: 'block.conv2' },
  { model: 'mlp_pos_neg', shape: [96], layer: 'fc2' },
];

export const suite: BenchSuite = {
  name: 'rules',
  description: `rule-based gradients over ${SAMPLES} inputs, as a ratio to one plain forward+backward (autograd)`,
  async run({ scale }) {
    const rows: BenchRow[] = [];
    for (const { model: id, shape, layer } of cases) {
      const model = fixtureModel(id);
      const inputs = tf.randomNormal([SAMPLES, ...shape], 0, 1, 'float32', 7);
      const iterations = Math.max(1, Math.round(3 * scale));
      rows.push(
        ...(await compareToBaseline(
          `${id} (N=${SAMPLES})`,
          { name: 'plain gradient (core gradients)', fn: () => plainGradient(model, inputs, 0) },
          [
            { name: 'guidedBackprop', fn: () => guidedBackprop(model, inputs, { target: 0 }) },
            { name: 'deconvolution', fn: () => deconvolution(model, inputs, { target: 0 }) },
            {
              name: 'deepLift (batched [x; b])',
              fn: () => deepLift(model, inputs, { target: 0, returnConvergenceDelta: true }),
            },
            { name: 'deepLift, per-sample loop', fn: () => perSampleDeepLift(model, inputs, 0) },
            { name: `layerGradCam (${layer})`, fn: () => layerGradCam(model, inputs, { layer, target: 0 }) },
          ],
          { rounds: 3, iterations },
        )),
      );
      inputs.dispose();
    }
    return rows;
  },
};
