import * as tf from '@tensorflow/tfjs-core';
import { compareToBaseline, fixtureModel, type BenchRow, type BenchSuite } from '../harness.js';

type Padding = [[0, 0], [number, number], [number, number], [0, 0]];

/**
 * The input gradient of cnn_small's convolutions, kernel against kernel: tfjs's Conv2DBackpropInput
 * (run through conv2dTranspose) against a forward convolution of the padded output gradient with the
 * flipped, transposed filters (what @attrib/core's conv gradient does on wasm), and the whole
 * `tf.grad` of one convolution as tfjs now takes it.
 */
export const suite: BenchSuite = {
  name: 'conv-backward',
  description: 'conv2d input gradient: Conv2DBackpropInput vs a forward conv with flipped filters',
  async run({ scale }) {
    const model = fixtureModel('cnn_small');
    const convs = model.nodes.filter((n) => n.module.kind === 'conv2d');
    const rows: BenchRow[] = [];
    for (const batch of [4, 32]) {
      const x = tf.randomNormal([batch, 16, 16, 3]);
      const inputs = tf.tidy(() => {
        const { values } = model.forward(x);
        return convs.map((n) => tf.clone(values.get(n.inputs[0])!));
      });
      for (const [i, node] of convs.entries()) {
        const input = inputs[i] as tf.Tensor4D;
        const weight = node.module.params.weight as tf.Tensor4D;
        const [top, bottom, left, right] = node.module.config.pad as number[];
        const [kh, kw] = weight.shape;
        const padding: Padding = [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ];
        const back: Padding = [
          [0, 0],
          [kh - 1 - top, kh - 1 - bottom],
          [kw - 1 - left, kw - 1 - right],
          [0, 0],
        ];
        const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(input, weight, 1, padding).shape)) as tf.Tensor4D;
        const flipped = tf.transpose(tf.reverse(weight, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        rows.push(
          ...(await compareToBaseline(
            `cnn_small ${node.name}, batch ${batch}`,
            {
              name: 'tfjs Conv2DBackpropInput',
              fn: () => tf.conv2dTranspose(dy, weight, input.shape, 1, padding),
            },
            [
              {
                name: 'forward conv, flipped filters',
                fn: () => tf.tidy(() => tf.conv2d(tf.pad(dy, back), flipped, 1, 'valid')),
              },
              {
                name: 'tf.grad of the conv (registered gradient)',
                fn: () =>
                  tf.grad((v: tf.Tensor) =>
                    tf.sum(tf.mul(tf.conv2d(v as tf.Tensor4D, weight, 1, padding), dy)),
                  )(input),
              },
            ],
            { iterations: Math.max(3, Math.round(7 * scale)) },
          )),
        );
        tf.dispose([dy, flipped]);
      }
      tf.dispose([x, ...inputs]);
    }
    return rows;
  },
};
