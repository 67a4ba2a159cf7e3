import * as tf from '@tensorflow/tfjs-core';

/** Pads H and W ([top, bottom, left, right]); pooling pads with −∞ so padding never wins a max. */
export function padSpatial(x: tf.Tensor4D, pad: number[], value: number): tf.Tensor4D {
  if (pad.every((p) => p === 0)) return x;
  return tf.pad(
    x,
    [
      [0, 0],
      [pad[0], pad[1]],
      [pad[2], pad[3]],
      [0, 0],
    ],
    value,
  );
}

/**
 * Max-pooling over windows that tile the input, with a backward that routes each window's gradient to
 * its first maximum in row-major order (torch's rule, and the conformance fixtures'). tfjs-backend-wasm's
 * own MaxPool backward breaks ties differently (at an all-zero input every window ties), and tfjs has no
 * gradient for MaxPoolGrad; this backward is built from ops that all have gradients, so second-order
 * gradients (of explanations with respect to parameters) pass through it.
 */
export function maxPoolFirstMaximum(x: tf.Tensor4D, [kh, kw]: [number, number]): tf.Tensor4D {
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const value = tf.maxPool(input, [kh, kw], [kh, kw], 'valid');
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const [n, h, w, c] = dy.shape;
        const [, fullH, fullW] = saved.shape;
        const covered = tf.slice(saved, [0, 0, 0, 0], [n, h * kh, w * kw, c]);
        // [n, h, w, c, kh·kw]: each window's values in row-major order; argMax picks the first maximum.
        const windows = tf.reshape(
          tf.transpose(tf.reshape(covered, [n, h, kh, w, kw, c]), [0, 1, 3, 5, 2, 4]),
          [n, h, w, c, kh * kw],
        );
        const first =
          kh * kw === 1
            ? tf.onesLike(windows)
            : tf.cast(tf.oneHot(tf.argMax(windows, -1), kh * kw), dy.dtype);
        const routed = tf.mul(first, tf.expandDims(dy, -1));
        const back = tf.reshape(tf.transpose(tf.reshape(routed, [n, h, w, c, kh, kw]), [0, 1, 4, 2, 5, 3]), [
          n,
          h * kh,
          w * kw,
          c,
        ]);
        // Rows and columns past the last full window get nothing.
        return tf.pad(back, [
          [0, 0],
          [0, fullH - h * kh],
          [0, fullW - w * kw],
          [0, 0],
        ]);
      },
    };
  });
  return pool(x) as tf.Tensor4D;
}
