import * as tf from '@tensorflow/tfjs-core';
import {
  affineVjp,
  describeWithBackends,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
} from '@attrib/test-utils';
import { ensureTfjsExtras } from './index.js';

describeWithBackends('conv2d input gradient', ['cpu', 'wasm'], () => {
  beforeAll(() => ensureTfjsExtras());

  const cases: Array<{
    k: number;
    pad: 'valid' | 'same' | number | [[0, 0], [number, number], [number, number], [0, 0]];
    stride: number;
    dilation: number;
  }> = [
    { k: 3, pad: 'same', stride: 1, dilation: 1 },
    { k: 3, pad: 'valid', stride: 1, dilation: 1 },
    { k: 2, pad: 'same', stride: 1, dilation: 1 },
    {
      k: 5,
      pad: [
        [0, 0],
        [2, 1],
        [0, 3],
        [0, 0],
      ],
      stride: 1,
      dilation: 1,
    },
    { k: 1, pad: 0, stride: 1, dilation: 1 },
    { k: 3, pad: 1, stride: 2, dilation: 1 },
    { k: 3, pad: 'same', stride: 1, dilation: 2 },
  ];
  for (const { k, pad, stride, dilation } of cases) {
    it(`k=${k} pad=${JSON.stringify(pad)} stride=${stride} dilation=${dilation} equals the adjoint of the forward convolution`, () => {
      tf.tidy(() => {
        const x = randomTensor([2, 7, 6, 3], 71) as tf.Tensor4D;
        const w = randomTensor([k, k, 3, 4], 72) as tf.Tensor4D;
        const forward = (v: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, w, stride, pad, 'NHWC', dilation);
        const dy = randomTensor(forward(x).shape, 73);
        const actual = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(forward(v), dy)))(x);
        // Reference from forward convolutions only: on cpu the code under test is tfjs's transposed
        // convolution itself, so that cannot be the reference.
        const expected = affineVjp(forward, x.shape.slice(1), dy);
        expectTensorsClose(actual, expected, { atol: 1e-5 });
      });
    });
  }
});

// tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel, so filter gradients are cpu (and webgl) only.
describeWithBackends('conv2d filter gradient', ['cpu'], () => {
  beforeAll(() => ensureTfjsExtras());

  it('keeps the filter gradient and second-order gradients', () => {
    const x = randomTensor([1, 4, 4, 2], 74) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 2], 75) as tf.Tensor4D;
    const loss = (filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')));
    const analytic = tf.grad(loss)(w);
    expectTensorsClose(
      analytic,
      finiteDifferenceGradient((f) => loss(f).dataSync()[0], w),
      { atol: 5e-2, rtol: 1e-2 },
    );
    // The input gradient is a function of the filter; differentiating it again goes through the fast path's ops.
    const inputGradientNorm = (filter: tf.Tensor) =>
      tf.sum(
        tf.square(
          tf.grad((u: tf.Tensor) =>
            tf.sum(tf.square(tf.conv2d(u as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'))),
          )(x),
        ),
      );
    expectTensorsClose(
      tf.grad(inputGradientNorm)(w),
      finiteDifferenceGradient((f) => inputGradientNorm(f).dataSync()[0], w),
      { atol: 0.5, rtol: 2e-2 },
    );
  });
});
