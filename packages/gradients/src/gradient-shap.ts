import * as tf from '@tensorflow/tfjs-core';
import {
  gradients,
  invalidArgument,
  selectTarget,
  shapeMismatch,
  yieldToEventLoop,
  type Graph,
} from '@attrib/core';
import { checkInput } from './approximation-input.js';
import { accumulate, repeatTarget, stepChunks, sumSteps } from './approximation-path.js';
import { normalTensor, seededRandom, uniformTensor, type SeededRandom } from '@attrib/core';
import type { AttributionResult, BatchingOptions, TargetOptions } from './types.js';

export interface GradientShapOptions extends TargetOptions, BatchingOptions {
  /** The baseline distribution: `[M, …one sample's shape]`, drawn from uniformly with replacement. */
  readonly baselines: tf.Tensor;
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

/** One copy's draws for all samples: noisy input, its baseline, and α, built in a fixed order. */
function drawCopy(input: tf.Tensor, baselines: tf.Tensor, stdev: number, random: SeededRandom) {
  const batch = input.shape[0];
  const noise = normalTensor(input.shape, stdev, random);
  const picks = Int32Array.from({ length: batch }, () => Math.floor(random.uniform() * baselines.shape[0]));
  const alpha = uniformTensor([batch, ...input.shape.slice(1).map(() => 1)], random);
  try {
    return tf.tidy(() => {
      const noisy = tf.add(input, noise);
      const baseline = tf.gather(baselines, tf.tensor1d(picks, 'int32'));
      return { noisy, baseline, point: tf.add(baseline, tf.mul(alpha, tf.sub(noisy, baseline))) };
    });
  } finally {
    tf.dispose([noise, alpha]);
  }
}

/**
 * GradientShap (Lundberg & Lee), as Captum computes it: for each sample, `nSamples` draws of a
 * baseline `b` from the distribution and `α ~ U[0, 1)`; the gradient at `b + α (x' − b)` (x' = x plus
 * optional noise) times `(x' − b)`, averaged over the draws. The draws of all samples are stacked into
 * as few passes as `internalBatchSize` allows.
 */
export async function gradientShap(
  model: Graph,
  inputs: tf.Tensor,
  options: GradientShapOptions,
): Promise<AttributionResult> {
  const fn = 'gradientShap';
  const input = checkInput(model, inputs, fn);
  const { baselines } = options ?? {};
  if (!(baselines instanceof tf.Tensor))
    throw invalidArgument(fn, 'baselines', 'a tensor [M, …] of baseline samples', baselines);
  if (
    baselines.rank !== input.rank ||
    baselines.shape.slice(1).join() !== input.shape.slice(1).join() ||
    baselines.shape[0] < 1
  ) {
    throw shapeMismatch(
      fn,
      'baselines',
      `[M, ${input.shape.slice(1)}] (M ≥ 1 baseline samples)`,
      baselines.shape,
    );
  }
  const nSamples = options.nSamples ?? 5;
  if (!Number.isInteger(nSamples) || nSamples < 1)
    throw invalidArgument(fn, 'nSamples', 'a positive integer', nSamples);
  const stdev = options.stdevs ?? 0;
  if (!Number.isFinite(stdev) || stdev < 0) throw invalidArgument(fn, 'stdevs', 'a finite number ≥ 0', stdev);
  const batch = input.shape[0];
  repeatTarget(options.target, 1, batch, fn);
  const chunks = stepChunks(nSamples, batch, options.internalBatchSize, fn);
  const random = seededRandom(options.seed ?? 0);
  let total: tf.Tensor | undefined;
  const deltas: tf.Tensor[] = [];
  try {
    for (let c = 0; c < chunks.length; c++) {
      if (c > 0) await yieldToEventLoop();
      const [start, end] = chunks[c];
      const draws = Array.from({ length: end - start }, () => drawCopy(input, baselines, stdev, random));
      const stacked = tf.tidy(() => ({
        point: tf.concat(
          draws.map((d) => d.point),
          0,
        ),
        difference: tf.concat(
          draws.map((d) => tf.sub(d.noisy, d.baseline)),
          0,
        ),
        // The two ends of every draw's path, stacked for the delta's single forward pass.
        ends: options.returnConvergenceDelta
          ? tf.concat([...draws.map((d) => d.noisy), ...draws.map((d) => d.baseline)], 0)
          : undefined,
      }));
      tf.dispose(draws.flatMap((d) => [d.noisy, d.baseline, d.point]));
      try {
        const target = repeatTarget(options.target, end - start, batch, fn);
        const result = gradients(model, stacked.point, { target, fn });
        tf.dispose([result.output, result.objective]);
        const [gradient] = result.inputGradients;
        const [part, delta] = tf.tidy(() => {
          const rows = tf.mul(gradient, stacked.difference);
          const summed = sumSteps(rows, new Array<number>(end - start).fill(1), batch);
          if (!stacked.ends) return [summed];
          const rowCount = rows.shape[0];
          const values = selectTarget(
            model.forward(stacked.ends, { fn }).output,
            repeatTarget(target, 2, rowCount, fn),
            fn,
          );
          const gap = tf.sub(tf.slice(values, [0], [rowCount]), tf.slice(values, [rowCount], [rowCount]));
          return [summed, tf.sub(tf.sum(tf.reshape(rows, [rowCount, -1]), 1), gap)];
        });
        gradient.dispose();
        total = accumulate(total, part);
        if (delta) deltas.push(delta);
      } finally {
        tf.dispose([stacked.point, stacked.difference, ...(stacked.ends ? [stacked.ends] : [])]);
      }
      options.onProgress?.({ done: end, total: nSamples, stage: 'baseline draws' });
    }
    const attributions = tf.tidy(() => tf.div(total!, nSamples));
    return options.returnConvergenceDelta ? { attributions, delta: tf.concat(deltas, 0) } : { attributions };
  } finally {
    tf.dispose([...(total ? [total] : []), ...deltas]);
  }
}
