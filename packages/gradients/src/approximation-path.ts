import * as tf from '@tensorflow/tfjs-core';
import {
  expandTarget,
  forEachChunk,
  invalidArgument,
  rowsPerPass,
  type Graph,
  type ProgressCallback,
  type ResolvedInputs,
  type Target,
} from '@attrib/core';

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

/** Per-input running totals: `accumulate` for each explained input. */
export function accumulateAll(sums: tf.Tensor[] | undefined, addends: readonly tf.Tensor[]): tf.Tensor[] {
  return addends.map((addend, k) => accumulate(sums?.[k], addend));
}

export interface PathChunk {
  /** Step indices [start, end) of this chunk. */
  readonly start: number;
  readonly end: number;
  /**
   * The full graph-input list for this chunk's `(end − start)·N` rows, step-major: explained inputs on
   * their paths, fixed inputs tiled. Freed after the callback.
   */
  readonly points: readonly tf.Tensor[];
  /** The target repeated for those rows. */
  readonly target: Target | undefined;
}

export interface PathWalk {
  readonly fn: string;
  readonly model: Graph;
  readonly inputs: ResolvedInputs<unknown>;
  /** One per explained input, of its shape. */
  readonly baselines: readonly tf.Tensor[];
  readonly alphas: readonly number[];
  readonly target?: Target;
  readonly internalBatchSize?: number;
  readonly memoryBudget?: number;
  readonly onProgress?: ProgressCallback;
  readonly stage?: string;
}

/**
 * Steps per pass: `internalBatchSize` rows (samples × steps, as Captum counts them), or the rows core's
 * memory budget allows; at least one step.
 */
export function stepsPerPass(
  model: Graph,
  inputs: ResolvedInputs<unknown>,
  options: { internalBatchSize?: number; memoryBudget?: number },
  fn: string,
): number {
  const explicit = options.internalBatchSize;
  if (
    explicit !== undefined &&
    explicit !== null &&
    !(Number.isInteger(explicit) && explicit >= inputs.batch)
  ) {
    throw invalidArgument(
      fn,
      'internalBatchSize',
      `an integer ≥ the batch size (${inputs.batch}), since it counts samples × steps`,
      explicit,
    );
  }
  const rows = rowsPerPass(model, inputs.assemble(inputs.explained), {
    fn,
    explicit,
    memoryBudget: options.memoryBudget,
  });
  return Math.max(1, Math.floor(rows / inputs.batch));
}

/**
 * Evaluates the input-space path of every explained input in as few passes as the batching allows,
 * yielding to the event loop between them and reporting rows done. `visit` keeps what it needs (its
 * own tensors); the chunk's points are freed.
 */
export async function walkPath(walk: PathWalk, visit: (chunk: PathChunk) => void): Promise<void> {
  const { inputs, fn } = walk;
  const batch = inputs.batch;
  expandTarget(walk.target, 1, batch, fn);
  const steps = stepsPerPass(walk.model, inputs, walk, fn);
  await forEachChunk(
    walk.alphas.length,
    steps,
    { fn, onProgress: walk.onProgress, stage: walk.stage ?? 'path steps', rowsPerItem: batch },
    (start, end) => {
      const alphas = walk.alphas.slice(start, end);
      const explained = inputs.explained.map((x, k) => pathPoints(x, walk.baselines[k], alphas));
      try {
        visit({
          start,
          end,
          points: inputs.assemble(explained, end - start),
          target: expandTarget(walk.target, end - start, batch, fn),
        });
      } finally {
        tf.dispose(explained);
      }
    },
  );
}
