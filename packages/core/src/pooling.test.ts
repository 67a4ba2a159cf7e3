import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { avgPoolDifferentiable, maxPoolFirstMaximum } from './pooling.js';
import { ensureTfjsExtras } from './setup.js';

/** Literal pooling backward over NHWC arrays: each window's gradient to its first maximum (or spread evenly). */
function literalBackward(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  kind: 'max' | 'avg',
): Float64Array {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  const xs = x.dataSync();
  const dys = dy.dataSync();
  const at = (b: number, i: number, j: number, k: number) => ((b * h + i) * w + j) * c + k;
  const out = new Float64Array(xs.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c; k++) {
          const g = dys[((b * oh + i) * ow + j) * c + k];
          if (kind === 'avg') {
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) out[at(b, i * sh + u, j * sw + v, k)] += g / (kh * kw);
            continue;
          }
          let best = -Infinity;
          let where = -1;
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const index = at(b, i * sh + u, j * sw + v, k);
              if (xs[index] > best) [best, where] = [xs[index], index];
            }
          out[where] += g;
        }
  return out;
}

describeWithBackends('differentiable pools', ['cpu', 'wasm'], () => {
  beforeAll(() => ensureTfjsExtras());
  const windows: Array<[[number, number], [number, number]]> = [
    [
      [2, 2],
      [2, 2],
    ],
    [
      [3, 3],
      [2, 2],
    ],
    [
      [2, 3],
      [1, 2],
    ],
  ];
  for (const [size, strides] of windows) {
    it(`max and average pool ${size} stride ${strides}: values and backward match a literal loop`, async () => {
      // Rounded to a coarse grid so windows tie: the first maximum in row-major order takes the gradient.
      const x = tf.tidy(() => tf.div(tf.round(tf.mul(randomTensor([2, 7, 6, 3], 1), 2)), 2)) as tf.Tensor4D;
      const max = maxPoolFirstMaximum(x, size, strides);
      expectTensorsClose(max, tf.maxPool(x, size, strides, 'valid'), { atol: 0, rtol: 0 });
      const avg = avgPoolDifferentiable(x, size, strides);
      expectTensorsClose(avg, tf.avgPool(x, size, strides, 'valid'), { atol: 1e-6, rtol: 1e-6 });
      const dy = randomTensor(max.shape, 2) as tf.Tensor4D;
      const maxGrad = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(dy, maxPoolFirstMaximum(v as tf.Tensor4D, size, strides))),
      )(x);
      expectTensorsClose(maxGrad, literalBackward(x, dy, size, strides, 'max'), { atol: 1e-6, rtol: 1e-6 });
      const avgGrad = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(dy, avgPoolDifferentiable(v as tf.Tensor4D, size, strides))),
      )(x);
      expectTensorsClose(avgGrad, literalBackward(x, dy, size, strides, 'avg'), { atol: 1e-6, rtol: 1e-6 });
      await expectNoLeaks(() =>
        tf.grad((v: tf.Tensor) => tf.sum(tf.add(maxPoolFirstMaximum(v as tf.Tensor4D, size, strides), 0)))(x),
      );
    });
  }
});
