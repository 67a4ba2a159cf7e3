import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  convergenceDelta,
  expandTarget,
  forEachChunk,
  invalidArgument,
  normalRows,
  ownResult,
  resolveBaselineDistribution,
  seededRandom,
  streamSeed,
  type AttributionInputs,
  type Graph,
  type PerInput,
  type ResolvedInputs,
} from '@attrib/core';
import { accumulateAll, stepsPerPass, sumSteps } from './approximation-path.js';
import { explainedGradients, withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type BatchingOptions,
  type DeltaRequested,
  type TargetOptions,
  type WithDelta,
} from './types.js';

export interface GradientShapOptions extends TargetOptions, BatchingOptions {
  /**
   * The baseline distribution: `[M, …one sample's shape]`, drawn from uniformly with replacement; a
   * list or record of such tensors (same M) for several inputs, drawn with one index for all.
   */
  readonly baselines: tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;
  /** Random (baseline, α) draws per sample (default 5, as Captum). */
  readonly nSamples?: number;
  /** Standard deviation of Gaussian noise added to the input first (default 0, as Captum). */
  readonly stdevs?: number;
  /** Seed of every random draw (default 0), so a run is reproducible. */
  readonly seed?: number;
  /**
   * Also return `delta` per draw, shape `[nSamples·N]` (row j·N + i: draw j of sample i):
   * `Σ (∂f/∂x · (x'−b)) − (f(x')[t] − f(b)[t])`, the completeness gap of that single-point estimate.
   */
  readonly returnConvergenceDelta?: boolean;
}

interface Draw {
  readonly noisy: tf.Tensor[];
  readonly baseline: tf.Tensor[];
  readonly point: tf.Tensor[];
}

/**
 * Draw `copy`'s noisy inputs, their baselines (one index per sample) and α per sample. Each (copy,
 * sample) has its own stream (core's `streamSeed`), drawn in a fixed order (each input's noise, the
 * baseline index, α), so a sample's draws depend neither on the batch size nor on `internalBatchSize`.
 */
function drawCopy(
  inputs: ResolvedInputs<unknown>,
  baselines: readonly tf.Tensor[],
  stdev: number,
  seed: number,
  copy: number,
): Draw {
  const batch = inputs.batch;
  const streams = Array.from({ length: batch }, (_, i) => seededRandom(streamSeed(seed, copy, i)));
  // No noise asked for: no draws either, so the baseline picks and α do not depend on the input sizes.
  const noise = inputs.explained.map((x) =>
    stdev === 0 ? tf.zerosLike(x) : normalRows(x.shape, stdev, (i) => streams[i]),
  );
  const picks = Int32Array.from(streams, (random) => Math.floor(random.uniform() * baselines[0].shape[0]));
  const alpha = tf.tensor1d(Float32Array.from(streams, (random) => random.uniform()));
  try {
    return tf.tidy(() => {
      const noisy = inputs.explained.map((x, k) => tf.add(x, noise[k]));
      const index = tf.tensor1d(picks, 'int32');
      const baseline = baselines.map((b) => tf.gather(b, index));
      const point = noisy.map((x, k) => {
        const a = tf.reshape(alpha, [batch, ...x.shape.slice(1).map(() => 1)]);
        return tf.add(baseline[k], tf.mul(a, tf.sub(x, baseline[k])));
      });
      return { noisy, baseline, point };
    });
  } finally {
    tf.dispose([...noise, alpha]);
  }
}

/**
 * GradientShap (Lundberg & Lee), as Captum computes it: for each sample, `nSamples` draws of a
 * baseline `b` from the distribution and `α ~ U[0, 1)`; the gradient at `b + α (x' − b)` (x' = x plus
 * optional noise) times `(x' − b)`, averaged over the draws. The draws of all samples are stacked into
 * as few passes as `internalBatchSize` (or the memory budget) allows.
 */
export function gradientShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: GradientShapOptions & DeltaRequested,
): Promise<WithDelta<AttributionResult<PerInput<I>>>>;
export function gradientShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: GradientShapOptions,
): Promise<AttributionResult<PerInput<I>>>;
export async function gradientShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: GradientShapOptions,
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'gradientShap';
  const o = checkOptions(
    fn,
    options,
    [
      ...keys.target,
      'baselines',
      'nSamples',
      'stdevs',
      'seed',
      'internalBatchSize',
      'memoryBudget',
      'onProgress',
      ...keys.delta,
    ],
    { booleans: ['returnConvergenceDelta'], required: 'baselines' },
  );
  return withInputs(model, inputs, o, fn, 'gradient', async (resolved) => {
    const baselines = resolveBaselineDistribution(o.baselines, resolved, fn);
    const nSamples = o.nSamples ?? 5;
    if (!Number.isInteger(nSamples) || nSamples < 1)
      throw invalidArgument(fn, 'nSamples', 'a positive integer', nSamples);
    const stdev = o.stdevs ?? 0;
    if (typeof stdev !== 'number' || !Number.isFinite(stdev) || stdev < 0)
      throw invalidArgument(fn, 'stdevs', 'a finite number ≥ 0', stdev);
    const batch = resolved.batch;
    expandTarget(o.target, 1, batch, fn);
    const steps = stepsPerPass(model, resolved, o, fn);
    const seed = checkSeed(fn, o.seed);
    let totals: tf.Tensor[] | undefined;
    const deltas: tf.Tensor[] = [];
    try {
      await forEachChunk(
        nSamples,
        steps,
        { fn, onProgress: o.onProgress, stage: 'baseline draws', rowsPerItem: batch },
        (start, end) => {
          const copies = end - start;
          const draws = Array.from({ length: copies }, (_, c) =>
            drawCopy(resolved, baselines, stdev, seed, start + c),
          );
          const stack = (pick: (d: Draw) => tf.Tensor[]) =>
            resolved.explained.map((_, k) =>
              tf.concat(
                draws.map((d) => pick(d)[k]),
                0,
              ),
            );
          const points = stack((d) => d.point);
          const differences = tf.tidy(() =>
            resolved.explained.map((_, k) =>
              tf.concat(
                draws.map((d) => tf.sub(d.noisy[k], d.baseline[k])),
                0,
              ),
            ),
          );
          const ends = o.returnConvergenceDelta ? [stack((d) => d.noisy), stack((d) => d.baseline)] : [];
          tf.dispose(draws.flatMap((d) => [...d.noisy, ...d.baseline, ...d.point]));
          try {
            const target = expandTarget(o.target, copies, batch, fn);
            const grads = explainedGradients(
              model,
              resolved.assemble(points, copies),
              resolved,
              { target },
              fn,
            );
            const rows = tf.tidy(() => grads.map((g, k) => tf.mul(g, differences[k])));
            tf.dispose(grads);
            totals = accumulateAll(
              totals,
              rows.map((r) => sumSteps(r, new Array<number>(copies).fill(1), batch)),
            );
            if (o.returnConvergenceDelta) {
              deltas.push(
                convergenceDelta(
                  model,
                  resolved.assemble(ends[0], copies),
                  resolved.assemble(ends[1], copies),
                  target,
                  rows,
                  fn,
                ),
              );
            }
            tf.dispose(rows);
          } finally {
            tf.dispose([...points, ...differences, ...ends.flat()]);
          }
        },
      );
      const attributions = tf.tidy(() => totals!.map((t) => tf.div(t, nSamples)));
      return ownResult({
        attributions: resolved.restore(attributions),
        ...(o.returnConvergenceDelta ? { delta: tf.concat(deltas, 0) } : {}),
      });
    } finally {
      tf.dispose([...(totals ?? []), ...deltas]);
    }
  });
}
