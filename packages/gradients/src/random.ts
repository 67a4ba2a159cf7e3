import * as tf from '@tensorflow/tfjs-core';

/** A seeded source of uniform [0, 1) and standard normal numbers, so that a noisy run is reproducible. */
export interface SeededRandom {
  uniform(): number;
  normal(): number;
}

/** mulberry32 for uniforms, Box–Muller (both values used) for normals. */
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
  return { uniform, normal };
}

/** A float32 tensor of N(0, stdev²) values drawn from `random`. */
export function normalTensor(shape: readonly number[], stdev: number, random: SeededRandom): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = stdev * random.normal();
  return tf.tensor(data, [...shape]);
}

/** A float32 tensor of uniform [0, 1) values drawn from `random`. */
export function uniformTensor(shape: readonly number[], random: SeededRandom): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = random.uniform();
  return tf.tensor(data, [...shape]);
}
