import * as tf from '@tensorflow/tfjs-core';
import { gradientRule, type BackwardRule, type Module } from '@attrib/core';

/** Window size of a max-pool whose windows tile the input (size = strides, no padding); else null. */
function tiling(module: Module): [number, number] | null {
  const size = module.config.size as [number, number] | undefined;
  const strides = (module.config.strides as [number, number] | undefined) ?? size;
  const pad = (module.config.pad as number[] | undefined) ?? [0, 0, 0, 0];
  if (!size || !strides || size[0] !== strides[0] || size[1] !== strides[1] || pad.some((p) => p !== 0))
    return null;
  return size;
}

/**
 * Max-pooling's plain gradient (everything to the first maximum of each window), written with ops
 * that all have gradients. tfjs registers no gradient for MaxPoolGrad, so the autograd backward
 * would stop `tf.grad` around an explanation of any max-pooling net. For tiling windows the routing
 * is a 0/1 mask from `argMax` (first maximum, row-major in the window, as torch and tfjs route),
 * and R_in = mask ⊙ upsample(R). Overlapping or padded pools keep the autograd backward.
 */
export function maxPoolGradient(): BackwardRule {
  return {
    name: 'gradient',
    backward(context) {
      const size = tiling(context.node.module);
      if (!size) return gradientRule.backward(context);
      const [x] = context.inputs;
      const R = context.gradOutput;
      const [kh, kw] = size;
      const [n, h, w, c] = R.shape;
      const corner = tf.slice(x, [0, 0, 0, 0], [n, h * kh, w * kw, c]);
      // [n, h, w, c, kh·kw]: each window's values in row-major order.
      const windows = tf.reshape(tf.transpose(tf.reshape(corner, [n, h, kh, w, kw, c]), [0, 1, 3, 5, 2, 4]), [
        n,
        h,
        w,
        c,
        kh * kw,
      ]);
      const mask =
        kh * kw === 1 ? tf.onesLike(windows) : tf.cast(tf.oneHot(tf.argMax(windows, -1), kh * kw), R.dtype);
      const routed = tf.mul(mask, tf.expandDims(R, -1));
      const back = tf.reshape(tf.transpose(tf.reshape(routed, [n, h, w, c, kh, kw]), [0, 1, 4, 2, 5, 3]), [
        n,
        h * kh,
        w * kw,
        c,
      ]);
      // Rows or columns past the last full window never receive relevance.
      return [
        tf.pad(back, [
          [0, 0],
          [0, x.shape[1]! - h * kh],
          [0, x.shape[2]! - w * kw],
          [0, 0],
        ]),
      ];
    },
  };
}
