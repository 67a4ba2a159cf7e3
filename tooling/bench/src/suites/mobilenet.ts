import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, type Graph } from '@attrib/core';
import { compareToBaseline, type BenchRow, type BenchSuite } from '../harness.js';

const blocks = 3;
const channels = 16;
const expansion = 4;
const size = 28;

interface BlockWeights {
  expand: tf.Tensor4D;
  depthwise: tf.Tensor4D;
  project: tf.Tensor4D;
}

/**
 * MobileNetV2 inverted residual blocks: 1×1 expand + relu6, 3×3 depthwise ('same') + relu6, 1×1
 * project, residual add.
 */
function blockWeights(): BlockWeights[] {
  return Array.from({ length: blocks }, (_, b) => ({
    expand: tf.randomNormal([1, 1, channels, channels * expansion], 0, 0.3, 'float32', 3 * b) as tf.Tensor4D,
    depthwise: tf.randomNormal([3, 3, channels * expansion, 1], 0, 0.3, 'float32', 3 * b + 1) as tf.Tensor4D,
    project: tf.randomNormal(
      [1, 1, channels * expansion, channels],
      0,
      0.3,
      'float32',
      3 * b + 2,
    ) as tf.Tensor4D,
  }));
}

function asGraph(weights: BlockWeights[]): Graph {
  let builder = new GraphBuilder({ name: 'x', shape: [null, size, size, channels] });
  let previous = 'x';
  for (const [b, w] of weights.entries()) {
    builder = builder
      .node(`b${b}.expand`, 'conv2d', { params: { weight: w.expand }, inputs: [previous] })
      .node(`b${b}.expand.act`, 'relu6')
      .node(`b${b}.dw`, 'depthwiseConv2d', { params: { weight: w.depthwise }, config: { pad: 'same' } })
      .node(`b${b}.dw.act`, 'relu6')
      .node(`b${b}.project`, 'conv2d', { params: { weight: w.project } })
      .node(`b${b}.add`, 'add', { inputs: [`b${b}.project`, previous] });
    previous = `b${b}.add`;
  }
  return builder.build();
}

/** The same network as tfjs ops called directly. */
function plain(weights: BlockWeights[], x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() =>
    weights.reduce((h, w) => {
      const expanded = tf.relu6(tf.conv2d(h, w.expand, 1, 'valid'));
      const filtered = tf.relu6(tf.depthwiseConv2d(expanded, w.depthwise, 1, 'same'));
      return tf.add(tf.conv2d(filtered, w.project, 1, 'valid'), h);
    }, x),
  );
}

/**
 * A MobileNet-style block stack as an Attrib graph (conv2d, depthwiseConv2d, relu6, add kinds) against
 * the plain tfjs ops it is made of, forward and forward + input gradient. On wasm both backward passes
 * use core's depthwise gradient: tfjs-backend-wasm has no depthwise backprop kernel, so without
 * @attrib/core the plain version has no gradient there at all.
 */
export const suite: BenchSuite = {
  name: 'mobilenet',
  description: `${blocks} MobileNetV2 blocks (${size}×${size}×${channels}, expansion ${expansion}): graph vs plain tfjs ops`,
  async run({ scale }) {
    const weights = blockWeights();
    const graph = asGraph(weights);
    const rows: BenchRow[] = [];
    for (const batch of [1, 8]) {
      const x = tf.randomUniform([batch, size, size, channels], -1, 1, 'float32', 7) as tf.Tensor4D;
      const iterations = Math.max(3, Math.round(7 * scale));
      rows.push(
        ...(await compareToBaseline(
          `batch ${batch}: forward`,
          { name: 'plain tfjs ops', fn: () => plain(weights, x) },
          [{ name: 'attrib graph.run', fn: () => graph.run(x) }],
          { iterations },
        )),
        ...(await compareToBaseline(
          `batch ${batch}: forward + input gradient`,
          {
            name: 'plain tfjs ops, tf.grad',
            fn: () => tf.grad((v: tf.Tensor) => tf.sum(plain(weights, v as tf.Tensor4D)))(x),
          },
          [
            {
              name: 'attrib graph.run, tf.grad',
              fn: () => tf.grad((v: tf.Tensor) => tf.sum(graph.run(v)))(x),
            },
          ],
          { iterations },
        )),
      );
      x.dispose();
    }
    tf.dispose(weights.flatMap((w) => [w.expand, w.depthwise, w.project]));
    return rows;
  },
};
