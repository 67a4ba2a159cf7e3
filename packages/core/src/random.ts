import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';

/**
 * A seeded source of random numbers, identical on every backend and runtime, so that sampled methods
 * (noise tunnel, Shapley sampling, LIME, random-k ablation) are reproducible. Calling it returns a
 * uniform number in [0, 1); `normal()` a standard normal one. Every seed is a seed, 0 included (tfjs's
 * own random ops treat 0 as "no seed"; Attrib never passes seeds to them).
 */
export interface SeededRandom {
  (): number;
  uniform(): number;
  normal(): number;
}

/** mulberry32 for uniforms; Box–Muller for normals (both values of each pair used, cosine first). */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  let spare: number | undefined;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    // 1 − u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return Object.assign(() => uniform(), { uniform, normal });
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function randomPermutation(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A float32 tensor of N(mean, stdev²) values drawn from `random`. */
export function normalTensor(
  shape: readonly number[],
  stdev: number,
  random: SeededRandom,
  mean = 0,
): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = mean + stdev * random.normal();
  return tf.tensor(data, [...shape]);
}

/** A float32 tensor of uniform values in [low, high) drawn from `random`. */
export function uniformTensor(shape: readonly number[], random: SeededRandom, low = 0, high = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = low + (high - low) * random.uniform();
  return tf.tensor(data, [...shape]);
}

/**
 * The seed of one independent stream, mixed from `seed` and integer keys (which sample, which copy,
 * which input, ...). Draws made from `seededRandom(streamSeed(seed, ...keys))` depend on the seed and
 * on what they are for, never on how many samples share a batch or how the work is chunked.
 */
export function streamSeed(seed: number, ...keys: readonly number[]): number {
  // Each key passes murmur3's 32-bit finaliser before it is folded in, and the running hash after:
  // no structured collisions (a plain XOR made seed 0, copy 1 the stream of seed 1, copy 0).
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const key of keys) h = mix32(Math.imul(h, 0x01000193) ^ mix32(((key >>> 0) + 0x7f4a7c15) >>> 0));
  return mix32(h ^ keys.length);
}

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers in which every input bit reaches every output bit. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stream per row of a tensor: row r draws from `seededRandom(streamSeed(seed, ...keyOf(r)))`. */
export type RowStreams = (row: number) => SeededRandom;

/**
 * Row streams keyed by what each row is: e.g. `rowStreams(seed, (r) => [input, copy(r), sample(r)])`
 * for noisy copies, so that a sample's noise is the same whatever the batch size or chunking.
 */
export function rowStreams(seed: number, keyOf: (row: number) => readonly number[]): RowStreams {
  return (row) => seededRandom(streamSeed(seed, ...keyOf(row)));
}

function rowsTensor(shape: readonly number[], streams: RowStreams, draw: (random: SeededRandom) => number) {
  const size = shape.reduce((a, b) => a * b, 1);
  const perRow = shape.length === 0 || shape[0] === 0 ? 0 : size / shape[0];
  const data = new Float32Array(size);
  for (let r = 0; r < (shape[0] ?? 0); r++) {
    const random = streams(r);
    for (let j = 0; j < perRow; j++) data[r * perRow + j] = draw(random);
  }
  return tf.tensor(data, [...shape]);
}

/** A float32 tensor of N(mean, stdev²) values, [rows, ...]; row r drawn from `streams(r)`. */
export function normalRows(
  shape: readonly number[],
  stdev: number,
  streams: RowStreams,
  mean = 0,
): tf.Tensor {
  return rowsTensor(shape, streams, (random) => mean + stdev * random.normal());
}

/** A float32 tensor of uniform values in [low, high), [rows, ...]; row r drawn from `streams(r)`. */
export function uniformRows(shape: readonly number[], streams: RowStreams, low = 0, high = 1): tf.Tensor {
  return rowsTensor(shape, streams, (random) => low + (high - low) * random.uniform());
}

/** A `seed` option: an integer (0 is a seed like any other), default 0; otherwise a typed error. */
export function checkSeed(fn: string, seed: unknown, argument = 'seed'): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw invalidArgument(fn, argument, 'an integer', seed);
  return seed;
}
