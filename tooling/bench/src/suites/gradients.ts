import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, type Graph } from '@attrib/core';
import { integratedGradients, layerConductance, saliency } from '@attrib/gradients';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

const target = 1;
const nSteps = 50;

/** The floor: raw tf.grad of the target logit sum over a plain forward pass. */
function rawGradient(model: Graph, inputs: tf.Tensor): tf.Tensor {
  return tf.grad((x: tf.Tensor) => tf.sum(selectTarget(model.forward(x).output, target, 'bench')))(inputs);
}

export const suite: BenchSuite = {
  name: 'gradients',
  description: 'saliency, IG-50 and layerConductance on cnn_small vs raw tf.grad of the target logit',
  async run({ scale, backend }) {
    const rows: BenchRow[] = [];
    const model = fixtureModel('cnn_small');
    for (const batch of [4, 32]) {
      const inputs = tf.randomUniform([batch, 16, 16, 3], -1, 1, 'float32', 11);
      const stacked = tf.tile(inputs, [nSteps, 1, 1, 1]);
      rows.push(
        ...(await compareToBaseline(
          `cnn_small, batch ${batch}: one gradient`,
          { name: 'raw tf.grad', fn: () => rawGradient(model, inputs) },
          [{ name: 'saliency', fn: async () => (await saliency(model, inputs, { target })).attributions }],
          { iterations: Math.max(1, Math.round(7 * scale)) },
        )),
      );
      // cpu is ~8x slower than wasm on these convolutions: fewer timed runs there.
      const pathIterations = Math.max(1, Math.round((backend === 'wasm' ? 7 : batch > 4 ? 2 : 4) * scale));
      rows.push(
        ...(await compareToBaseline(
          `cnn_small, batch ${batch}: ${nSteps} path points`,
          {
            name: `raw tf.grad, one pass over ${nSteps}×${batch} rows`,
            fn: () => rawGradient(model, stacked),
          },
          [
            {
              name: `${nSteps}× raw tf.grad at batch ${batch}`,
              fn: () => {
                for (let k = 0; k < nSteps - 1; k++) rawGradient(model, inputs).dispose();
                return rawGradient(model, inputs);
              },
            },
            {
              name: `IG-${nSteps}`,
              fn: async () => (await integratedGradients(model, inputs, { target, nSteps })).attributions,
            },
            {
              name: `IG-${nSteps}, internalBatchSize ${10 * batch}`,
              fn: async () =>
                (await integratedGradients(model, inputs, { target, nSteps, internalBatchSize: 10 * batch }))
                  .attributions,
            },
            {
              name: `layerConductance conv2, ${nSteps} steps`,
              fn: async () =>
                (await layerConductance(model, inputs, { layer: 'conv2', target, nSteps })).attributions,
            },
          ],
          { iterations: pathIterations, rounds: backend === 'wasm' ? 3 : 2 },
        )),
      );
      tf.dispose([inputs, stacked]);
    }
    return rows;
  },
};
