import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadModel, type Graph } from '@attrib/core';

export type BackendName = 'cpu' | 'wasm';

/** A benchmark suite: one file in src/suites exporting `suite`. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

export interface BenchContext {
  readonly backend: BackendName;
  /** Multiply iteration counts by this (the CLI's --quick sets it below 1). */
  readonly scale: number;
}

/** One line of output: a case timed against the baseline of its group, in the same process. */
export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly medianMs: number;
  /** medianMs / the group's baseline medianMs. */
  readonly ratio: number;
}

/** Median wall time of `fn` in ms after warm-up; `fn` must dispose what it makes. */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  { warmup = 2, iterations = 7 } = {},
): Promise<number> {
  for (let i = 0; i < warmup; i++) await settle(await fn());
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await settle(await fn());
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Waits for pending backend work so the timing includes it, then frees the result. */
async function settle(result: unknown): Promise<void> {
  const tensors: tf.Tensor[] = [];
  const collect = (v: unknown) => {
    if (v instanceof tf.Tensor) tensors.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v instanceof Map) [...v.values()].forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(result);
  await Promise.all(tensors.map((t) => t.data()));
  tf.dispose(tensors);
}

/**
 * Times a baseline and each case, interleaving them round by round so machine noise hits all alike,
 * and returns rows with the ratio to the baseline.
 */
export async function compareToBaseline(
  group: string,
  baseline: { name: string; fn: () => unknown | Promise<unknown> },
  cases: Array<{ name: string; fn: () => unknown | Promise<unknown> }>,
  { rounds = 3, iterations = 5 }: { rounds?: number; iterations?: number } = {},
): Promise<BenchRow[]> {
  const all = [baseline, ...cases];
  const medians = all.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < all.length; i++)
      medians[i].push(await measure(all[i].fn, { warmup: round === 0 ? 2 : 0, iterations }));
  }
  const best = medians.map((m) => [...m].sort((a, b) => a - b)[Math.floor(m.length / 2)]);
  return all.map((c, i) => ({ group, name: c.name, medianMs: best[i], ratio: best[i] / best[0] }));
}

// The repository's copy of the public reference fixtures (tooling/bench/{src,dist} → the root).
const fixturesDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'fixtures',
  'conformance',
);

/** A public conformance model (tower3, mlp_pos_neg, cnn_small, cnn_bn_pub, resblock_pub). */
export function fixtureModel(id: string, dir = process.env.ATTRIB_FIXTURES ?? fixturesDir): Graph {
  return loadModel(JSON.parse(readFileSync(join(dir, 'models', `${id}.json`), 'utf8')));
}
