import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, yieldToEventLoop, type ProgressCallback, type Target } from '@attrib/core';

/**
 * Ranges of path steps evaluated together: `internalBatchSize` counts rows (samples × steps) as in
 * Captum, so each chunk holds ⌊internalBatchSize / batch⌋ steps.
 */
export function stepChunks(
  nSteps: number,
  batch: number,
  internalBatchSize: number | undefined,
  fn: string,
): Array<[number, number]> {
  if (internalBatchSize === undefined || internalBatchSize === null) return [[0, nSteps]];
  if (!Number.isInteger(internalBatchSize) || internalBatchSize < batch) {
    throw invalidArgument(
      fn,
      'internalBatchSize',
      `an integer ≥ the batch size (${batch}), since it counts samples × steps`,
      internalBatchSize,
    );
  }
  const perChunk = Math.floor(internalBatchSize / batch);
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < nSteps; start += perChunk)
    ranges.push([start, Math.min(nSteps, start + perChunk)]);
  return ranges;
}

/** `target` for `times` stacked copies of a batch of `batch` samples (copy-major rows). */
export function repeatTarget(
  target: Target | undefined,
  times: number,
  batch: number,
  fn: string,
): Target | undefined {
  if (target === undefined || target === null || typeof target === 'number' || typeof target === 'function')
    return target;
  const indices =
    target instanceof tf.Tensor ? Array.from(target.dataSync()) : Array.from(target as ArrayLike<number>);
  if (indices.length !== batch)
    throw invalidArgument(fn, 'target', `one index per sample (${batch})`, target);
  const repeated: number[] = [];
  for (let copy = 0; copy < times; copy++) repeated.push(...indices);
  return repeated;
}

/** `[times·N, …]`: the batch stacked `times` times (copy-major, like the path rows). */
export function tileBatch(x: tf.Tensor, times: number): tf.Tensor {
  return times === 1 ? tf.clone(x) : tf.tile(x, [times, ...x.shape.slice(1).map(() => 1)]);
}

/** Path points `b + α_k (x − b)` for the given alphas, step-major: rows k·N … k·N+N−1 are step k. */
export function pathPoints(input: tf.Tensor, baseline: tf.Tensor, alphas: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const k = alphas.length;
    const unit = input.shape.slice(1).map(() => 1);
    const alpha = tf.tensor(Float32Array.from(alphas), [k, 1, ...unit]);
    const points = tf.add(
      tf.expandDims(baseline, 0),
      tf.mul(alpha, tf.expandDims(tf.sub(input, baseline), 0)),
    );
    return tf.reshape(points, [k * input.shape[0], ...input.shape.slice(1)]);
  });
}

/** `Σ_k s_k · rows[k]`: step-major rows `[k·N, …]` weighted by step sizes and summed to `[N, …]`. */
export function sumSteps(rows: tf.Tensor, stepSizes: readonly number[], batch: number): tf.Tensor {
  return tf.tidy(() => {
    const k = stepSizes.length;
    // One [1, k] × [k, N·F] matmul: a reduction over the leading axis would transpose the rows
    // first, which costs a quarter of the backward pass on wasm.
    const weights = tf.tensor2d(Float32Array.from(stepSizes), [1, k]);
    const summed = tf.matMul(weights, tf.reshape(rows, [k, -1]));
    return tf.reshape(summed, [batch, ...rows.shape.slice(1)]);
  });
}

/** `sum + addend` for a running total that starts empty; frees both operands so the loop holds one tensor. */
export function accumulate(sum: tf.Tensor | undefined, addend: tf.Tensor): tf.Tensor {
  if (!sum) return addend;
  const next = tf.add(sum, addend);
  sum.dispose();
  addend.dispose();
  return next;
}

export interface PathChunk {
  /** Step indices [start, end) of this chunk. */
  readonly start: number;
  readonly end: number;
  /** Rows `(end − start)·N`: the path points of this chunk, step-major. Disposed after the callback. */
  readonly points: tf.Tensor;
  /** The target repeated for those rows. */
  readonly target: Target | undefined;
}

export interface PathWalk {
  readonly fn: string;
  readonly input: tf.Tensor;
  readonly baseline: tf.Tensor;
  readonly alphas: readonly number[];
  readonly target?: Target;
  readonly internalBatchSize?: number;
  readonly onProgress?: ProgressCallback;
  readonly stage?: string;
}

/**
 * Evaluates the input-space path in as few chunks as `internalBatchSize` allows, yielding to the event
 * loop between chunks. `visit` keeps what it needs (its own tensors); the chunk's points are freed.
 */
export async function walkPath(walk: PathWalk, visit: (chunk: PathChunk) => void): Promise<void> {
  const batch = walk.input.shape[0];
  repeatTarget(walk.target, 1, batch, walk.fn);
  const chunks = stepChunks(walk.alphas.length, batch, walk.internalBatchSize, walk.fn);
  for (let c = 0; c < chunks.length; c++) {
    if (c > 0) await yieldToEventLoop();
    const [start, end] = chunks[c];
    const points = pathPoints(walk.input, walk.baseline, walk.alphas.slice(start, end));
    try {
      visit({ start, end, points, target: repeatTarget(walk.target, end - start, batch, walk.fn) });
    } finally {
      points.dispose();
    }
    walk.onProgress?.({ done: end, total: walk.alphas.length, stage: walk.stage ?? 'path steps' });
  }
}
