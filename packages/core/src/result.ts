import * as tf from '@tensorflow/tfjs-core';

/** A result that owns its tensors: `dispose()` frees every one of them. */
export interface Disposable {
  dispose(): void;
}

function disposeAll(value: unknown, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    value.dispose();
    return;
  }
  const children =
    value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : Object.values(value);
  for (const child of children) disposeAll(child, seen);
}

/**
 * `result` with a `dispose()` that frees every tensor reachable from it (tensors, arrays, records,
 * Maps). Non-enumerable, so spreading the result or listing its values is unchanged.
 */
export function ownResult<R extends object>(result: R): R & Disposable {
  Object.defineProperty(result, 'dispose', {
    value: () => disposeAll(result, new Set()),
    enumerable: false,
    configurable: true,
  });
  return result as R & Disposable;
}
