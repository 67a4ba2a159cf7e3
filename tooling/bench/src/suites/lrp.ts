import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, type Graph } from '@attrib/core';
import { epsilonPlusFlat, lrp, type LrpResult } from '@attrib/lrp';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

/** The floor: raw tf.grad of the target logit, one forward and one autograd backward. */
function plainGradient(model: Graph, inputs: tf.Tensor, target: number): tf.Tensor {
  return tf.grad((x: tf.Tensor) => tf.sum(selectTarget(model.run(x), target, 'bench')))(inputs);
}

/** Keeps only the attributions, as a caller after a heatmap would. */
function attributionsOnly(result: LrpResult): tf.Tensor {
  tf.dispose([
    result.output,
    result.conservation.output,
    result.conservation.input,
    ...result.conservation.nodes.values(),
    ...result.conservation.absorbed.values(),
  ]);
  return result.attributions;
}

export const suite: BenchSuite = {
  name: 'lrp',
  description:
    'LRP epsilonPlusFlat on cnn_small (one forward + a reverse walk of rule VJPs) vs the plain gradient',
  async run({ scale }) {
    const rows: BenchRow[] = [];
    const model = fixtureModel('cnn_small');
    const composite = epsilonPlusFlat();
    for (const batch of [4, 32]) {
      const inputs = tf.randomUniform([batch, 16, 16, 3], -1, 1, 'float32', 7);
      const iterations = Math.max(1, Math.round(5 * scale));
      rows.push(
        ...(await compareToBaseline(
          `cnn_small, batch ${batch}`,
          { name: 'plain gradient (tf.grad of the target logit)', fn: () => plainGradient(model, inputs, 1) },
          [
            {
              name: 'lrp epsilonPlusFlat',
              fn: () => attributionsOnly(lrp(model, inputs, { composite, target: 1 })),
            },
          ],
          { iterations },
        )),
      );
      inputs.dispose();
    }
    return rows;
  },
};
