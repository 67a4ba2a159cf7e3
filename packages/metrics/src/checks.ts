import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from '@attrib/core';

/** A positive integer option, or its default when absent. */
export function positiveInteger(
  fn: string,
  argument: string,
  value: number | undefined,
  fallback?: number,
): number {
  const resolved = value ?? fallback;
  if (resolved === undefined || !Number.isInteger(resolved) || resolved < 1)
    throw invalidArgument(fn, argument, 'a positive integer', value);
  return resolved;
}

/** A finite number in [low, high]. */
export function numberInRange(
  fn: string,
  argument: string,
  value: number,
  low: number,
  high: number,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high) {
    throw invalidArgument(fn, argument, `a number in [${low}, ${high}]`, value);
  }
  return value;
}

export function requireTensor(fn: string, argument: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) throw invalidArgument(fn, argument, 'a tensor', value);
  return value;
}

/** Throws unless `tensor` has exactly `shape`. */
export function expectShape(fn: string, argument: string, tensor: tf.Tensor, shape: readonly number[]): void {
  if (tensor.shape.join() !== shape.join())
    throw shapeMismatch(fn, argument, `[${shape.join(', ')}]`, tensor.shape);
}

/** Number of values per sample of a batched tensor. */
export function perSampleSize(tensor: tf.Tensor): number {
  return tensor.shape.slice(1).reduce((a, b) => a * b, 1);
}
