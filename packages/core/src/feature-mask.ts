import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from './errors.js';

/**
 * A feature mask as callers write it: integer group ids, one tensor per explained input (a bare tensor
 * for a single input), `null`/`undefined` for "every scalar its own group". Each tensor is
 * broadcastable to its input `[N, ...unit]`: `[1, ...]` (or no batch axis) shares it by the batch,
 * `[N, ...]` gives every sample its own grouping, and size 1 on an axis shares the id along it
 * (`[1, H, W, 1]`: whole pixels). Several inputs take a list in input order or a record by input name.
 * As in Captum, equal ids in different inputs are one feature.
 */
export type FeatureMaskInput =
  | tf.Tensor
  | null
  | undefined
  | readonly (tf.Tensor | null | undefined)[]
  | Readonly<Record<string, tf.Tensor | null | undefined>>;

/**
 * Parsed groups. Ids are renumbered densely in ascending order of the given ids (gaps are allowed and
 * change nothing: a missing id groups no element); inputs without a mask get one group per scalar,
 * numbered after the given ids, input by input.
 */
export interface FeatureMask {
  readonly groups: number;
  /** Per input: the mask shape with the batch axis (1 or N), broadcastable to the input. */
  readonly shapes: readonly (readonly number[])[];
  /** Per input: dense group ids of the mask's elements, row-major over `shapes[i]`. */
  readonly hostIds: readonly Int32Array[];
  /** Per input: the same ids on the device, int32 [maskBatch, elements per mask sample]. */
  readonly ids: readonly tf.Tensor2D[];
  /** Whether any input's mask is per sample (batch axis N > 1). */
  readonly perSample: boolean;
  dispose(): void;
}

function describeMask(mask: FeatureMaskInput): unknown {
  return Array.isArray(mask) ? `a list of ${mask.length}` : mask;
}

/** Checks `mask` against the inputs' shapes and numbers its groups (see `FeatureMask`). */
export function parseFeatureMask(
  mask: FeatureMaskInput,
  inputShapes: readonly (readonly number[])[],
  fn: string,
  argument = 'featureMask',
  inputNames: readonly string[] = [],
): FeatureMask {
  const isRecord =
    mask !== null && typeof mask === 'object' && Object.getPrototypeOf(mask) === Object.prototype;
  if (isRecord) {
    const unknown = Object.keys(mask).find((key) => !inputNames.includes(key));
    if (unknown !== undefined)
      throw invalidArgument(
        fn,
        argument,
        `a record by explained input name (${inputNames.join(', ')})`,
        `a key '${unknown}'`,
      );
  }
  const entries: readonly (tf.Tensor | null | undefined)[] = Array.isArray(mask)
    ? mask
    : isRecord
      ? inputNames.map((name) => (mask as Record<string, tf.Tensor | null | undefined>)[name])
      : inputShapes.map((_, i) => (i === 0 ? (mask as tf.Tensor | null | undefined) : undefined));
  if (!Array.isArray(mask) && !isRecord && inputShapes.length > 1 && mask !== undefined && mask !== null) {
    throw invalidArgument(
      fn,
      argument,
      `one mask per explained input (${inputShapes.length}; null where every scalar is its own group)`,
      describeMask(mask),
    );
  }
  if (entries.length !== inputShapes.length) {
    throw invalidArgument(
      fn,
      argument,
      `one mask per explained input (${inputShapes.length}; null where every scalar is its own group)`,
      describeMask(mask),
    );
  }
  const shapes: number[][] = [];
  const raw: (Float32Array | Int32Array | Uint8Array | null)[] = [];
  entries.forEach((entry, i) => {
    const shape = inputShapes[i];
    const name =
      inputShapes.length === 1
        ? argument
        : isRecord
          ? `${argument}['${inputNames[i]}']`
          : `${argument}[${i}]`;
    if (entry === undefined || entry === null) {
      shapes.push([1, ...shape.slice(1)]);
      raw.push(null);
      return;
    }
    if (!(entry instanceof tf.Tensor))
      throw invalidArgument(fn, name, 'an integer tensor of group ids', entry);
    if (entry.isDisposed)
      throw invalidArgument(fn, name, 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    // A mask without the batch axis is shared by all samples.
    const withBatch = entry.rank === shape.length - 1 ? [1, ...entry.shape] : [...entry.shape];
    const broadcastable =
      withBatch.length === shape.length && withBatch.every((d, axis) => d === 1 || d === shape[axis]);
    if (!broadcastable) {
      throw shapeMismatch(
        fn,
        name,
        `broadcastable to the input [${shape}] ([1 or N, ...] with 1 or the full size per axis)`,
        entry.shape,
      );
    }
    const data = entry.dataSync() as Float32Array | Int32Array | Uint8Array;
    for (let j = 0; j < data.length; j++) {
      if (!Number.isFinite(data[j]))
        throw invalidArgument(
          fn,
          name,
          'finite group ids',
          `${data[j]} at flat index ${j}`,
          'non-finite-input',
        );
      if (!Number.isInteger(data[j]) || data[j] < 0)
        throw invalidArgument(fn, name, 'non-negative integer group ids', `${data[j]} at flat index ${j}`);
    }
    shapes.push(withBatch);
    raw.push(data);
  });

  const given = new Set<number>();
  for (const data of raw) if (data) for (const v of data) given.add(v);
  const dense = new Map([...given].sort((a, b) => a - b).map((id, index) => [id, index]));
  let groups = dense.size;
  const hostIds = raw.map((data, i) => {
    if (data) return Int32Array.from(data, (v) => dense.get(v)!);
    const size = shapes[i].slice(1).reduce((a, b) => a * b, 1);
    const ids = Int32Array.from({ length: size }, (_, j) => groups + j);
    groups += size;
    return ids;
  });
  if (groups === 0) throw invalidArgument(fn, argument, 'at least one feature', 'inputs with no elements');
  const ids = hostIds.map((data, i) =>
    tf.tensor2d(data, [shapes[i][0], data.length / shapes[i][0]], 'int32'),
  );
  return {
    groups,
    shapes,
    hostIds,
    ids,
    perSample: shapes.some((s) => s[0] > 1),
    dispose: () => tf.dispose(ids),
  };
}

/**
 * 0/1 keep masks for `copies` coalitions, per input [copies, maskBatch, ...maskUnit]: 1 where the
 * element's group is present. `flags` holds copies × groups presence flags.
 */
export function coalitionKeepMasks(mask: FeatureMask, flags: Float32Array, copies: number): tf.Tensor[] {
  return tf.tidy(() => {
    const table = tf.tensor2d(flags, [copies, mask.groups]);
    return mask.ids.map((ids, i) =>
      tf.reshape(tf.gather(table, tf.reshape(ids, [-1]), 1), [copies, ...mask.shapes[i]]),
    );
  });
}

/**
 * `table[r, ids[r, j]]` for every row r: [rows, elements]. A flat gather with row offsets, because
 * tfjs-backend-wasm's `gather` with `batchDims = 1` reads the wrong rows (a per-sample mask came out
 * mixed between samples on wasm; cpu was right).
 */
function gatherPerRow(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const [rows, groups] = table.shape;
  const offsets = tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(groups, 'int32'));
  return tf.gather(tf.reshape(table, [-1]), tf.add(ids, tf.reshape(offsets, [rows, 1])));
}

/**
 * 0/1 keep masks for single rows, per input [rows, ...maskUnit]: row r is a variant of sample
 * `samples[r]` (whose own ids a per-sample mask uses) keeping the groups flagged in `flags`
 * (rows × groups). What deletion curves and faithfulness correlation evaluate.
 */
export function rowKeepMasks(mask: FeatureMask, flags: Float32Array, samples: Int32Array): tf.Tensor[] {
  return tf.tidy(() => {
    const rows = samples.length;
    const table = tf.tensor2d(flags, [rows, mask.groups]);
    return mask.ids.map((ids, i) => {
      const unit = mask.shapes[i].slice(1);
      const perRow =
        mask.shapes[i][0] > 1
          ? gatherPerRow(table, tf.gather(ids, tf.tensor1d(samples, 'int32')))
          : tf.gather(table, tf.reshape(ids, [-1]), 1);
      return tf.reshape(perRow, [rows, ...unit]);
    });
  });
}

/**
 * Spreads one value per (row, group), `values` [rows × groups], onto every element of each input:
 * per input [rows, ...inputShape.slice(1)]. A per-sample mask needs rows = its batch size.
 */
export function spreadGroupValues(
  mask: FeatureMask,
  values: Float64Array,
  rows: number,
  inputShapes: readonly (readonly number[])[],
  fn: string,
  argument = 'featureMask',
): tf.Tensor[] {
  if (mask.shapes.some((shape) => shape[0] > 1 && shape[0] !== rows)) {
    throw invalidArgument(
      fn,
      argument,
      `shared by the batch ([1, ...]) when there is one result row for ${mask.shapes[0][0]} samples`,
      `a per-sample mask for ${rows} result row(s)`,
    );
  }
  return tf.tidy(() => {
    const table = tf.tensor2d(Float32Array.from(values), [rows, mask.groups]);
    return mask.ids.map((ids, i) => {
      const shape = mask.shapes[i];
      const gathered = shape[0] > 1 ? gatherPerRow(table, ids) : tf.gather(table, tf.reshape(ids, [-1]), 1);
      return tf.broadcastTo(tf.reshape(gathered, [rows, ...shape.slice(1)]), [
        rows,
        ...inputShapes[i].slice(1),
      ]);
    });
  });
}

/**
 * Each sample's group of every element, broadcast to the inputs and concatenated input after input:
 * `groupOf(n)[j]` for flat element j of sample n (host; what host-built keep masks and relevance sums
 * read). Computed lazily per sample layout.
 */
export function elementGroups(
  mask: FeatureMask,
  inputShapes: readonly (readonly number[])[],
): (sample: number) => Int32Array {
  const cache = new Map<number, Int32Array>();
  return (sample) => {
    const row = mask.perSample ? sample : 0;
    let cached = cache.get(row);
    if (!cached) {
      const parts = mask.hostIds.map((ids, i) => broadcastRow(ids, mask.shapes[i], inputShapes[i], row));
      cached = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        cached.set(part, offset);
        offset += part.length;
      }
      cache.set(row, cached);
    }
    return cached;
  };
}

/** Row `row` (or 0 when shared) of `ids` over `maskShape`, broadcast to one sample of `shape`. */
function broadcastRow(
  ids: Int32Array,
  maskShape: readonly number[],
  shape: readonly number[],
  row: number,
): Int32Array {
  const unit = shape.slice(1);
  const maskUnit = maskShape.slice(1);
  const maskSize = maskUnit.reduce((a, b) => a * b, 1);
  const source = ids.subarray(
    (maskShape[0] > 1 ? row : 0) * maskSize,
    (maskShape[0] > 1 ? row + 1 : 1) * maskSize,
  );
  const size = unit.reduce((a, b) => a * b, 1);
  const out = new Int32Array(size);
  const maskStrides = maskUnit.map((_, a) => maskUnit.slice(a + 1).reduce((x, y) => x * y, 1));
  for (let j = 0; j < size; j++) {
    let rest = j;
    let flat = 0;
    for (let a = unit.length - 1; a >= 0; a--) {
      const coordinate = rest % unit[a];
      rest = Math.floor(rest / unit[a]);
      if (maskUnit[a] !== 1) flat += coordinate * maskStrides[a];
    }
    out[j] = source[flat];
  }
  return out;
}

/**
 * Per sample, the sum of the attributions over each group (all inputs together): [N][groups]. The
 * relevance of a feature group, as deletion curves and faithfulness correlation rank them.
 */
export function groupSums(
  mask: FeatureMask,
  attributions: readonly tf.Tensor[],
  inputShapes: readonly (readonly number[])[],
): Float64Array[] {
  const groupOf = elementGroups(mask, inputShapes);
  const data = attributions.map((a) => a.dataSync());
  const batch = inputShapes[0][0];
  return Array.from({ length: batch }, (_, n) => {
    const groupsOfSample = groupOf(n);
    const sums = new Float64Array(mask.groups);
    let offset = 0;
    data.forEach((values) => {
      const size = values.length / batch;
      for (let j = 0; j < size; j++) sums[groupsOfSample[offset + j]] += values[n * size + j];
      offset += size;
    });
    return sums;
  });
}
