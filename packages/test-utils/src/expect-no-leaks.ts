import * as tf from '@tensorflow/tfjs-core';

/** Disposes every tensor reachable from `value` (arrays, Maps, records); returns how many. */
export function disposeResult(value: unknown): number {
  if (value instanceof tf.Tensor) {
    value.dispose();
    return 1;
  }
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + disposeResult(v), 0);
  if (value instanceof Map) return [...value.values()].reduce((n: number, v) => n + disposeResult(v), 0);
  if (value && typeof value === 'object') {
    return Object.values(value).reduce((n: number, v) => n + disposeResult(v), 0);
  }
  return 0;
}

/**
 * Runs `fn`, disposes every tensor reachable from what it returns, and returns how many tensors
 * were left behind compared with before the call.
 */
export async function countTensorsDuring(fn: () => unknown | Promise<unknown>): Promise<number> {
  const before = tf.memory().numTensors;
  const result = await fn();
  disposeResult(result);
  return tf.memory().numTensors - before;
}

/** Fails when `fn` leaves any tensor alive beyond those it returns. */
export async function expectNoLeaks(fn: () => unknown | Promise<unknown>): Promise<void> {
  const leaked = await countTensorsDuring(fn);
  if (leaked !== 0) throw new Error(`expectNoLeaks: ${leaked} tensor(s) leaked`);
}
