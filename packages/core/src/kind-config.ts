import type * as tf from '@tensorflow/tfjs-core';
import type { Config } from './module.js';

/**
 * Reading and checking kind configuration and parameters. Each helper throws a plain Error whose
 * message names the key; `createModule` turns it into a `GraphError` naming the node, and `graph.forward`
 * into a `ShapeMismatchError` naming the node and the input shapes.
 */

export type KindParams = Readonly<Record<string, tf.Tensor | null>>;

/** `config[key]` as `length` integers (`fallback` when absent). */
export function numbers(config: Config, key: string, length: number, fallback?: number[]): number[] {
  const value = config[key] ?? fallback;
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => Number.isInteger(v))) {
    throw new Error(`'${key}' must be ${length} integers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

export function requireParam(params: KindParams, name: string): tf.Tensor {
  const value = params[name];
  if (!value) throw new Error(`parameter '${name}' is missing`);
  return value;
}

/** Checks a parameter's rank and some of its sizes; an absent (optional) parameter passes. */
export function expectShape(
  tensor: tf.Tensor | null | undefined,
  name: string,
  rank: number,
  dims: Record<number, number>,
): void {
  if (!tensor) return;
  if (tensor.rank !== rank) throw new Error(`'${name}' must have rank ${rank}, got shape [${tensor.shape}]`);
  for (const [axis, size] of Object.entries(dims)) {
    if (tensor.shape[Number(axis)] !== size) {
      throw new Error(`'${name}' has shape [${tensor.shape}], expected size ${size} on axis ${axis}`);
    }
  }
}

/** A `fromJson` that copies the listed fields of a JSON node into the config. */
export const pickJson =
  (...keys: string[]) =>
  (node: Readonly<Record<string, unknown>>): { config: Record<string, unknown> } => ({
    config: Object.fromEntries(keys.filter((k) => node[k] !== undefined).map((k) => [k, node[k]])),
  });

/**
 * `axis` (negative counts from the end) as an index in [0, rank). The batch axis, 0, is refused unless
 * `allowBatch`: a kind that moved, removed or mixed the batch axis would mix samples, which every
 * batched method assumes never happens.
 */
export function normalizeAxis(axis: number, rank: number, key: string, allowBatch = false): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`'${key}' must be an integer axis in [${-rank}, ${rank}) for rank ${rank}, got ${axis}`);
  }
  const index = axis < 0 ? axis + rank : axis;
  if (index === 0 && !allowBatch) throw new Error(`'${key}' must not be the batch axis 0, got ${axis}`);
  return index;
}
