import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '@attrib/core';

/** Square patches over the spatial axes of an NHWC sample, as a `[1, H, W, 1]` feature mask. */
export function patchMask(height: number, width: number, patch: number): tf.Tensor4D {
  for (const [argument, value] of [
    ['height', height],
    ['width', width],
    ['patch', patch],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw invalidArgument('patchMask', argument, 'a positive integer', value);
  }
  const columns = Math.ceil(width / patch);
  const ids = new Int32Array(height * width);
  for (let h = 0; h < height; h++)
    for (let w = 0; w < width; w++)
      ids[h * width + w] = Math.floor(h / patch) * columns + Math.floor(w / patch);
  return tf.tensor4d(ids, [1, height, width, 1], 'int32');
}
