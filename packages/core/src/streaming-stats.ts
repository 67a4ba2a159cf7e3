import * as tf from '@tensorflow/tfjs-core';
import { shapeMismatch } from './errors.js';

/** Serialisable state of per-element running statistics (float64 on the host). */
export interface StreamingStatsState {
  readonly shape: readonly number[];
  readonly count: number;
  readonly mean: Float64Array;
  /** Sum of squared deviations from the mean (Welford's M2). */
  readonly m2: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/**
 * Per-element mean, variance, min and max over a stream of batches, in bounded memory. Shards merge
 * exactly (Chan et al.'s pairwise update), so summarising in pieces equals one pass up to rounding.
 */
export interface StreamingStats {
  readonly shape: readonly number[];
  readonly count: number;
  /** Adds a batch `[B, ...shape]` (or host rows of that layout). */
  update(batch: tf.Tensor | { data: ArrayLike<number>; rows: number }): StreamingStats;
  merge(other: StreamingStats | StreamingStatsState): StreamingStats;
  mean(): Float64Array;
  /** Population variance (divide by count); `sample` divides by count − 1. */
  variance(options?: { sample?: boolean }): Float64Array;
  min(): Float64Array;
  max(): Float64Array;
  state(): StreamingStatsState;
}

export function streamingStats(shape: readonly number[], from?: StreamingStatsState): StreamingStats {
  const size = shape.reduce((a, b) => a * b, 1);
  let count = from?.count ?? 0;
  const mean = Float64Array.from(from?.mean ?? new Float64Array(size));
  const m2 = Float64Array.from(from?.m2 ?? new Float64Array(size));
  const min = Float64Array.from(from?.min ?? new Float64Array(size).fill(Infinity));
  const max = Float64Array.from(from?.max ?? new Float64Array(size).fill(-Infinity));

  const mergeMoments = (
    n: number,
    otherMean: ArrayLike<number>,
    otherM2: ArrayLike<number>,
    otherMin: ArrayLike<number>,
    otherMax: ArrayLike<number>,
  ) => {
    if (n === 0) return;
    const total = count + n;
    for (let i = 0; i < size; i++) {
      const delta = otherMean[i] - mean[i];
      mean[i] += (delta * n) / total;
      m2[i] += otherM2[i] + (delta * delta * count * n) / total;
      if (otherMin[i] < min[i]) min[i] = otherMin[i];
      if (otherMax[i] > max[i]) max[i] = otherMax[i];
    }
    count = total;
  };

  const self: StreamingStats = {
    shape,
    get count() {
      return count;
    },
    update(batch) {
      const rows = batch instanceof tf.Tensor ? batch.shape[0] : batch.rows;
      if (batch instanceof tf.Tensor && batch.shape.slice(1).join() !== shape.join()) {
        throw shapeMismatch('streamingStats.update', 'batch', `[B, ${shape.join(', ')}]`, batch.shape);
      }
      const data = batch instanceof tf.Tensor ? batch.dataSync() : batch.data;
      if (data.length !== rows * size)
        throw shapeMismatch('streamingStats.update', 'batch', `${rows}×${size} values`, [data.length]);
      // Summarise the batch on its own (two-pass, exact), then merge it in.
      const bMean = new Float64Array(size);
      const bM2 = new Float64Array(size);
      const bMin = new Float64Array(size).fill(Infinity);
      const bMax = new Float64Array(size).fill(-Infinity);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < size; i++) {
          const v = data[r * size + i];
          bMean[i] += v;
          if (v < bMin[i]) bMin[i] = v;
          if (v > bMax[i]) bMax[i] = v;
        }
      }
      for (let i = 0; i < size; i++) bMean[i] /= rows || 1;
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < size; i++) {
          const d = data[r * size + i] - bMean[i];
          bM2[i] += d * d;
        }
      }
      mergeMoments(rows, bMean, bM2, bMin, bMax);
      return self;
    },
    merge(other) {
      const state =
        'state' in other && typeof other.state === 'function'
          ? other.state()
          : (other as StreamingStatsState);
      if (state.shape.join() !== shape.join())
        throw shapeMismatch('streamingStats.merge', 'other', `[${shape.join(', ')}]`, state.shape);
      mergeMoments(state.count, state.mean, state.m2, state.min, state.max);
      return self;
    },
    mean: () => Float64Array.from(mean),
    variance: ({ sample = false } = {}) =>
      m2.map((v) => (count - (sample ? 1 : 0) > 0 ? v / (count - (sample ? 1 : 0)) : NaN)),
    min: () => Float64Array.from(min),
    max: () => Float64Array.from(max),
    state: () => ({
      shape: [...shape],
      count,
      mean: Float64Array.from(mean),
      m2: Float64Array.from(m2),
      min: Float64Array.from(min),
      max: Float64Array.from(max),
    }),
  };
  return self;
}
