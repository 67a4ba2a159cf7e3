import * as tf from '@tensorflow/tfjs-core';

/**
 * A seeded source of random numbers, identical on every backend and runtime, so that sampled methods
 * (noise tunnel, Shapley sampling, LIME, random-k ablation) are reproducible. Calling it returns a
 * uniform number in [0, 1); `normal()` a standard normal one.
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
