import { randomPermutation, seededRandom } from '@attrib/core';

/** Which units a mask ablates: the k first of the ranking, of the reversed ranking, or of a seeded permutation. */
export type MaskKind =
  | { readonly kind: 'top' | 'bottom'; readonly k: number }
  | { readonly kind: 'random'; readonly k: number; readonly seed: number };

/** Units ordered by score, highest first; ties keep index order so the ranking is deterministic. */
export function rankUnits(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/**
 * Every mask of an ablation curve, k-major: for each k, top-k, bottom-k, then random-k for each seed
 * (so mask `k·(2 + seeds) + j` is curve j at the k-th k; the summaries rely on this layout).
 * Random-k for one seed takes the first k of one permutation, so its sets are nested as k grows.
 */
export function ablationMasks(
  ranking: readonly number[],
  ks: readonly number[],
  seeds: readonly number[],
): MaskKind[] {
  const masks: MaskKind[] = [];
  for (const k of ks) {
    masks.push({ kind: 'top', k }, { kind: 'bottom', k });
    for (const seed of seeds) masks.push({ kind: 'random', k, seed });
  }
  return masks;
}

/** The keep vector (1 = kept, 0 = ablated) of one mask over `units` units. */
export function keepVector(
  mask: MaskKind,
  ranking: readonly number[],
  permutations: ReadonlyMap<number, Int32Array>,
): Float32Array {
  const keep = new Float32Array(ranking.length).fill(1);
  const order =
    mask.kind === 'random'
      ? permutations.get(mask.seed)!
      : mask.kind === 'top'
        ? ranking
        : [...ranking].reverse();
  for (let i = 0; i < mask.k; i++) keep[order[i]] = 0;
  return keep;
}

export function permutationsFor(units: number, seeds: readonly number[]): Map<number, Int32Array> {
  return new Map(seeds.map((seed) => [seed, randomPermutation(units, seededRandom(seed))]));
}
