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

type Pair = readonly [number, number];

/** Output rows and columns of a 'valid' pooling of `x` (already padded). */
function outputSize(x: tf.Tensor4D, [kh, kw]: Pair, [sh, sw]: Pair): [number, number] {
  return [Math.floor((x.shape[1] - kh) / sh) + 1, Math.floor((x.shape[2] - kw) / sw) + 1];
}

/**
 * `fn(x)` with a zero gradient. Its ops run inside a custom-gradient kernel, where tfjs records
 * nothing, so ops without a registered gradient (StridedSlice, ArgMax → OneHot) may be used to make a
 * piecewise-constant choice without breaking a second-order `tf.grad` that passes through it.
 */
function constantOf(fn: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: fn(input), gradFunc: () => tf.zerosLike(input) };
  })(x);
}

/**
 * Each window's values, [n, oh, ow, c, kh·kw], in row-major order within the window (strided slices,
 * one per offset in the window). Runs inside `constantOf` only: StridedSlice has no tfjs gradient.
 */
function windows(x: tf.Tensor4D, [kh, kw]: Pair, [sh, sw]: Pair): tf.Tensor {
  const [n, , , c] = x.shape;
  const [oh, ow] = outputSize(x, [kh, kw], [sh, sw]);
  const slices: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      slices.push(
        tf.stridedSlice(
          x,
          [0, i, j, 0],
          [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c],
          [1, sh, sw, 1],
        ),
      );
    }
  }
  return tf.stack(slices, -1);
}

/**
 * Inserts `s − 1` zeros between neighbouring rows (and columns): the input of a transposed conv, and
 * the window grid spread back over the input in the pooling backwards. Each step pads a rank-4 tensor:
 * tfjs-backend-webgl's packed pad cannot compile for rank 5 or 6 (its shader has no ivec5/ivec6).
 */
export function dilateSpatial(x: tf.Tensor4D, [sh, sw]: readonly [number, number]): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  // Columns: [n·h, w, 1, c] padded to [n·h, w, sw, c]; then rows: [n, h, 1, w·sw·c] to [n, h, sh, w·sw·c].
  const columns = tf.pad(tf.reshape(x, [n * h, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const rows = tf.pad(tf.reshape(columns, [n, h, 1, w * sw * c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
  ]);
  const spread = tf.reshape(rows, [n, h * sh, w * sw, c]);
  return tf.slice(spread, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

/**
 * The transpose of `windows`: adds each window's values back at the places they were read from, in
 * an [n, H, W, c] tensor; `atOffset(k)` gives the values ([n, oh, ow, c]) for offset k of the window. Built from reshape, pad, slice and add, which all have
 * gradients, so it is differentiable again (linear in the values).
 */
function scatterWindows(
  atOffset: (k: number) => tf.Tensor,
  [fullH, fullW]: Pair,
  [kh, kw]: Pair,
  [sh, sw]: Pair,
): tf.Tensor4D {
  const [, oh, ow] = atOffset(0).shape;
  const spanH = (oh - 1) * sh + 1;
  const spanW = (ow - 1) * sw + 1;
  let sum: tf.Tensor4D | undefined;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const spread = dilateSpatial(atOffset(i * kw + j) as tf.Tensor4D, [sh, sw]);
      const placed = tf.pad(spread, [
        [0, 0],
        [i, fullH - i - spanH],
        [j, fullW - j - spanW],
        [0, 0],
      ]) as tf.Tensor4D;
      sum = sum ? (tf.add(sum, placed) as tf.Tensor4D) : placed;
    }
  }
  return sum!;
}

/**
 * Max-pooling ('valid' over `x`, which the caller pads with −∞) with a backward that routes each
 * window's gradient to its first maximum in row-major order (torch's rule, and the conformance
 * fixtures'); overlapping windows add up. tfjs-backend-wasm's own MaxPool backward breaks ties
 * differently (at an all-zero input every window ties), and tfjs has no gradient for MaxPoolGrad; this
 * backward is built from ops that have gradients, so second-order gradients (of explanations with
 * respect to parameters) pass through it.
 */
export function maxPoolFirstMaximum(x: tf.Tensor4D, size: Pair, strides: Pair = size): tf.Tensor4D {
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.maxPool(input, [size[0], size[1]], [strides[0], strides[1]], 'valid'),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const k = size[0] * size[1];
        const first = constantOf(
          (v) =>
            k === 1
              ? tf.onesLike(tf.expandDims(v, -1))
              : tf.cast(tf.oneHot(tf.argMax(windows(v as tf.Tensor4D, size, strides), -1), k), 'float32'),
          saved,
        );
        const routed = tf.unstack(tf.mul(first, tf.expandDims(dy, -1)), -1);
        const [, fullH, fullW] = saved.shape as [number, number, number, number];
        return scatterWindows((k) => routed[k], [fullH, fullW], size, strides);
      },
    };
  });
  return pool(x) as tf.Tensor4D;
}

/**
 * Average pooling ('valid' over `x`, which the caller pads with zeros: each window divides by kh·kw,
 * torch's count_include_pad). tfjs has no gradient for AvgPoolGrad, so this backward spreads each
 * window's gradient over its cells with differentiable ops instead; a second-order `tf.grad` passes.
 * For counts that exclude padding, multiply the result by kh·kw / count (a constant tensor).
 */
export function avgPoolDifferentiable(x: tf.Tensor4D, size: Pair, strides: Pair = size): tf.Tensor4D {
  const pool = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    const [fullH, fullW] = [input.shape[1], input.shape[2]];
    return {
      value: tf.avgPool(input, [size[0], size[1]], [strides[0], strides[1]], 'valid'),
      gradFunc: (dy: tf.Tensor) => {
        const share = tf.div(dy, size[0] * size[1]);
        return scatterWindows(() => share, [fullH, fullW], size, strides);
      },
    };
  });
  return pool(x) as tf.Tensor4D;
}
