import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from '@attrib/core';

/**
 * Feature groups over a tensor of shape [N, ...unit]: which group every element belongs to. The
 * mask may be shared by the batch ([1, ...]) or per sample ([N, ...]) and broadcast over other axes.
 */
export interface GroupMask {
  /** Group id per mask element, int32 [maskBatch, elements]. */
  readonly ids: tf.Tensor2D;
  /** The mask's shape, batch axis included (1 or N). */
  readonly shape: readonly number[];
  readonly groups: number;
  dispose(): void;
}

/** Reads `mask` (undefined: every scalar its own group, shared by the batch) and checks it against `shape`. */
export function parseGroupMask(
  mask: tf.Tensor | null | undefined,
  shape: readonly number[],
  fn: string,
  argument: string,
): GroupMask {
  const unit = shape.slice(1);
  if (mask === undefined || mask === null) {
    const size = unit.reduce((a, b) => a * b, 1);
    const ids = tf.tidy(() => tf.reshape(tf.range(0, size, 1, 'int32'), [1, size])) as tf.Tensor2D;
    return { ids, shape: [1, ...unit], groups: size, dispose: () => ids.dispose() };
  }
  if (!(mask instanceof tf.Tensor))
    throw invalidArgument(fn, argument, 'an integer tensor of group ids', mask);
  // A mask without the batch axis is shared by all samples.
  const maskShape = mask.rank === shape.length - 1 ? [1, ...mask.shape] : [...mask.shape];
  const broadcastable =
    maskShape.length === shape.length && maskShape.every((d, i) => d === 1 || d === shape[i]);
  if (!broadcastable)
    throw shapeMismatch(
      fn,
      argument,
      `broadcastable to [${shape}] ([1 or N, ...] with 1 or the full size per axis)`,
      mask.shape,
    );
  const data = mask.dataSync();
  const present = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isInteger(data[i]) || data[i] < 0)
      throw invalidArgument(fn, argument, 'non-negative integer group ids', `${data[i]} at flat index ${i}`);
    present.add(data[i]);
  }
  const groups = present.size;
  for (let g = 0; g < groups; g++) {
    if (!present.has(g))
      throw invalidArgument(
        fn,
        argument,
        `group ids 0..n−1 with none missing (${groups} groups found)`,
        `no element in group ${g}, ids up to ${Math.max(...present)}`,
      );
  }
  const ids = tf.tensor2d(Int32Array.from(data), [maskShape[0], data.length / maskShape[0]], 'int32');
  return { ids, shape: maskShape, groups, dispose: () => ids.dispose() };
}

/**
 * 0/1 masks for `copies` coalitions, [copies, maskBatch, ...mask]: 1 where the element's group is
 * present (keeps its value). `flags` holds copies × groups presence flags.
 */
export function coalitionMasks(flags: Float32Array, copies: number, mask: GroupMask): tf.Tensor {
  return tf.tidy(() => {
    const table = tf.tensor2d(flags, [copies, mask.groups]);
    return tf.reshape(tf.gather(table, tf.reshape(mask.ids, [-1]), 1), [copies, ...mask.shape]);
  });
}

/** Spreads one value per (sample, group), [nOut × groups], onto every element: [nOut, ...fullShape.slice(1)]. */
export function spreadGroupValues(
  values: Float64Array,
  nOut: number,
  mask: GroupMask,
  fullShape: readonly number[],
): tf.Tensor {
  return tf.tidy(() => {
    const table = tf.tensor2d(Float32Array.from(values), [nOut, mask.groups]);
    const perSample = mask.shape[0] > 1;
    if (perSample && mask.shape[0] !== nOut) {
      throw invalidArgument(
        'spreadGroupValues',
        'featureMask',
        'shared by the batch ([1, ...]) when the forward returns one scalar per batch',
        mask.shape,
      );
    }
    const gathered = perSample
      ? tf.gather(table, mask.ids, 1, 1)
      : tf.gather(table, tf.reshape(mask.ids, [-1]), 1);
    return tf.broadcastTo(tf.reshape(gathered, [nOut, ...mask.shape.slice(1)]), [
      nOut,
      ...fullShape.slice(1),
    ]);
  });
}
