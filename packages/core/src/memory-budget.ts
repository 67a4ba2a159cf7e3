import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';
import type { Graph } from './graph.js';

/**
 * Tensor bytes one forward+backward pass may hold when the caller gives no `internalBatchSize` /
 * `perturbationsPerEval`. 512 MiB keeps a pass far below the wasm heap's 4 GiB ceiling (IG-50 at batch
 * 512 on cnn_small took 3.8 GB in one pass and broke the backend at 640) while passes stay large enough
 * to be fast (1,400 rows of cnn_small).
 */
export const DEFAULT_MEMORY_BUDGET = 512 * 2 ** 20;

let budget = DEFAULT_MEMORY_BUDGET;

/** Sets the byte budget of every later call (process-wide); returns the previous one. */
export function setMemoryBudget(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 1)
    throw invalidArgument('setMemoryBudget', 'bytes', 'a positive number of bytes', bytes);
  const previous = budget;
  budget = bytes;
  return previous;
}

export function getMemoryBudget(): number {
  return budget;
}

/**
 * A pass keeps every node's output for the backward, the tensors each kernel's gradient saved, one
 * gradient per node and the kernels' temporaries. Measured peak bytes per row of an IG pass over the
 * forward's node outputs (tf.profile, 32 and 128 rows): cnn_small 10.9× (cpu) and 11.1× (wasm), a tiny
 * conv–batchnorm–maxpool net 9.1× and 9.7×. Twelve keeps the estimate above what a pass takes.
 */
const BACKWARD_FACTOR = 12;
/** A forward-only pass (perturbation methods) frees each node's inputs as it goes: twice its outputs. */
const FORWARD_FACTOR = 2;

const rowBytesCache = new WeakMap<Graph, Map<string, number>>();

/** Bytes one sample (row) takes through a forward and backward (or forward-only) pass, from a one-row forward. */
export function bytesPerRow(
  graph: Graph,
  inputs: readonly tf.Tensor[],
  fn: string,
  pass: 'backward' | 'forward' = 'backward',
): number {
  const key = inputs.map((x) => `${x.dtype}[${x.shape.slice(1)}]`).join(';');
  const cached = rowBytesCache.get(graph)?.get(key);
  const factor = pass === 'backward' ? BACKWARD_FACTOR : FORWARD_FACTOR;
  if (cached !== undefined) return cached * factor;
  const bytes = tf.tidy(() => {
    const { values } = graph.forward(
      inputs.map((x) => tf.slice(x, [0], [1])),
      { fn },
    );
    let total = 0;
    for (const value of values.values()) total += value.size * 4;
    return total;
  });
  if (!rowBytesCache.has(graph)) rowBytesCache.set(graph, new Map());
  rowBytesCache.get(graph)!.set(key, bytes);
  return bytes * factor;
}

/**
 * Rows (samples × steps, or perturbed copies) per pass: `explicit` when the caller gave one (checked:
 * a positive integer), else as many as the budget holds (at least one).
 */
export function rowsPerPass(
  graph: Graph,
  inputs: readonly tf.Tensor[],
  options: {
    fn: string;
    explicit?: number | null;
    argument?: string;
    memoryBudget?: number;
    /** `'forward'` for methods that run no backward (perturbation). */
    pass?: 'backward' | 'forward';
  },
): number {
  const { fn, explicit, argument = 'internalBatchSize' } = options;
  if (explicit !== undefined && explicit !== null) {
    if (typeof explicit !== 'number' || !Number.isInteger(explicit) || explicit < 1)
      throw invalidArgument(fn, argument, 'a positive integer', explicit);
    return explicit;
  }
  const limit = options.memoryBudget ?? budget;
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 1)
    throw invalidArgument(fn, 'memoryBudget', 'a positive number of bytes', limit);
  return Math.max(1, Math.floor(limit / bytesPerRow(graph, inputs, fn, options.pass)));
}
