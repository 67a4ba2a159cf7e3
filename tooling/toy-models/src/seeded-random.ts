/** mulberry32: a tiny seeded generator, uniform in [0, 1); the same numbers on every backend. */
export function uniformGenerator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from the seeded uniform generator. */
export function normalSamples(count: number, next: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // 1 − u keeps the logarithm finite (u can be 0, never 1).
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** Uniform samples in [low, high). */
export function uniformSamples(count: number, next: () => number, low: number, high: number): Float32Array {
  return Float32Array.from({ length: count }, () => low + (high - low) * next());
}
