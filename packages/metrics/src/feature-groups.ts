import * as tf from '@tensorflow/tfjs-core';
import { shapeMismatch } from '@attrib/core';

/** Input features as groups: which group each element of one sample belongs to. */
export interface FeatureGroups {
  /** Group index (0..count−1) of every element of one sample, row-major. */
  readonly groupOf: Int32Array;
  readonly count: number;
}

/**
 * Groups from a feature mask broadcastable to one sample (`[...unit]` or `[1, ...]`, e.g. `[1,H,W,1]`
 * for whole pixels); equal values form one group. Without a mask every element is its own group.
 */
export function featureGroups(
  inputs: tf.Tensor,
  featureMask: tf.Tensor | undefined,
  fn: string,
): FeatureGroups {
  const unit = inputs.shape.slice(1);
  const size = unit.reduce((a, b) => a * b, 1);
  if (!featureMask) return { groupOf: Int32Array.from({ length: size }, (_, i) => i), count: size };
  const rank = unit.length + 1;
  const withBatch = featureMask.rank === unit.length ? [1, ...featureMask.shape] : featureMask.shape;
  const fits =
    withBatch.length === rank &&
    withBatch[0] === 1 &&
    withBatch.slice(1).every((d, a) => d === 1 || d === unit[a]);
  if (!fits)
    throw shapeMismatch(
      fn,
      'featureMask',
      `broadcastable to one sample [1, ${unit.join(', ')}]`,
      featureMask.shape,
    );
  const values = tf.tidy(() => tf.broadcastTo(tf.reshape(featureMask, withBatch), [1, ...unit]).dataSync());
  const ids = new Map<number, number>();
  const groupOf = Int32Array.from(values, (v) => {
    if (!ids.has(v)) ids.set(v, ids.size);
    return ids.get(v)!;
  });
  return { groupOf, count: ids.size };
}

/** Sum of each sample's attributions over each group: [N][count]. */
export function groupRelevance(attributions: tf.Tensor, groups: FeatureGroups): Float64Array[] {
  const data = attributions.dataSync();
  const size = groups.groupOf.length;
  return Array.from({ length: attributions.shape[0] }, (_, i) => {
    const sums = new Float64Array(groups.count);
    for (let j = 0; j < size; j++) sums[groups.groupOf[j]] += data[i * size + j];
    return sums;
  });
}

/** Square patches over the spatial axes of an NHWC sample, as a `[1, H, W, 1]` feature mask. */
export function patchMask(height: number, width: number, patch: number): tf.Tensor4D {
  const columns = Math.ceil(width / patch);
  const ids = new Int32Array(height * width);
  for (let h = 0; h < height; h++)
    for (let w = 0; w < width; w++)
      ids[h * width + w] = Math.floor(h / patch) * columns + Math.floor(w / patch);
  return tf.tensor4d(ids, [1, height, width, 1], 'int32');
}
