import * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  yieldToEventLoop,
  type Graph,
  type ProgressCallback,
  type Target,
} from '@attrib/core';
import { checkInput } from './approximation-input.js';
import { accumulate, repeatTarget, tileBatch } from './approximation-path.js';
import { normalTensor, seededRandom } from '@attrib/core';
import type { AttributionResult } from './types.js';

/** Any attribution method of the common shape, e.g. `saliency` or `integratedGradients`. */
export type AttributionMethod<O> = (
  model: Graph,
  inputs: tf.Tensor,
  options: O,
) => Promise<AttributionResult>;

export type NoiseTunnelType = 'smoothgrad' | 'smoothgradSq' | 'vargrad';

export interface NoiseTunnelOptions {
  /** Noisy copies of every sample (default 5, as Captum). */
  readonly nSamples?: number;
  /** Standard deviation of the Gaussian noise added to the input (default 1, as Captum). */
  readonly stdevs?: number;
  /** Noisy copies per call of the wrapped method (default all: one call on nSamples × N rows). */
  readonly nSamplesBatchSize?: number;
  /** Mean (`smoothgrad`), mean of squares (`smoothgradSq`) or variance (`vargrad`) over the copies. */
  readonly type?: NoiseTunnelType | 'smoothgrad_sq';
  /** Seed of the noise, so a run is reproducible (default 0). */
  readonly seed?: number;
  readonly onProgress?: ProgressCallback;
}

/** Per-sample options that must follow the samples into the stacked noisy batch. */
function expandOptions<O>(
  options: O,
  times: number,
  input: tf.Tensor,
  fn: string,
): { options: O; owned: tf.Tensor[] } {
  if (!options || typeof options !== 'object') return { options, owned: [] };
  const record = { ...(options as Record<string, unknown>) };
  const owned: tf.Tensor[] = [];
  if ('target' in record)
    record.target = repeatTarget(record.target as Target | undefined, times, input.shape[0], fn);
  const baselines = record.baselines;
  if (baselines instanceof tf.Tensor && baselines.shape.join() === input.shape.join()) {
    record.baselines = tileBatch(baselines, times);
    owned.push(record.baselines as tf.Tensor);
  }
  return { options: record as O, owned };
}

function checkCount(value: number | undefined, fallback: number, argument: string, fn: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(fn, argument, 'a positive integer', n);
  return n;
}

/**
 * NoiseTunnel (SmoothGrad, SmoothGrad², VarGrad): wraps `method` so that it runs on `nSamples` noisy
 * copies of every input, stacked into one batch (or `nSamplesBatchSize` copies per call), and
 * aggregates the attributions per sample. The wrapped function has the method's call shape.
 */
export function noiseTunnel<O>(
  method: AttributionMethod<O>,
  tunnel: NoiseTunnelOptions = {},
): AttributionMethod<O> {
  const fn = 'noiseTunnel';
  if (typeof method !== 'function')
    throw invalidArgument(fn, 'method', 'an attribution function (model, inputs, options)', method);
  const nSamples = checkCount(tunnel.nSamples, 5, 'nSamples', fn);
  const perCall = Math.min(nSamples, checkCount(tunnel.nSamplesBatchSize, nSamples, 'nSamplesBatchSize', fn));
  const stdev = tunnel.stdevs ?? 1;
  if (!Number.isFinite(stdev) || stdev < 0) throw invalidArgument(fn, 'stdevs', 'a finite number ≥ 0', stdev);
  const type = tunnel.type === 'smoothgrad_sq' ? 'smoothgradSq' : (tunnel.type ?? 'smoothgrad');
  if (!['smoothgrad', 'smoothgradSq', 'vargrad'].includes(type))
    throw invalidArgument(fn, 'type', "'smoothgrad', 'smoothgradSq' or 'vargrad'", tunnel.type);

  return async (model, inputs, options) => {
    const input = checkInput(model, inputs, fn);
    const batch = input.shape[0];
    const random = seededRandom(tunnel.seed ?? 0);
    let sum: tf.Tensor | undefined;
    let sumOfSquares: tf.Tensor | undefined;
    try {
      for (let start = 0; start < nSamples; start += perCall) {
        if (start > 0) await yieldToEventLoop();
        const copies = Math.min(perCall, nSamples - start);
        const noisy = tf.tidy(() =>
          tf.add(
            tileBatch(input, copies),
            normalTensor([copies * batch, ...input.shape.slice(1)], stdev, random),
          ),
        );
        const expanded = expandOptions(options, copies, input, fn);
        let result: AttributionResult;
        try {
          result = await method(model, noisy, expanded.options);
        } finally {
          tf.dispose([noisy, ...expanded.owned]);
        }
        if (result.delta) result.delta.dispose();
        const { attributions } = result;
        if (!(attributions instanceof tf.Tensor))
          throw invalidArgument(fn, 'method', 'a method returning one attribution tensor', attributions);
        const [part, partSquares] = tf.tidy(() => {
          const perCopy = tf.reshape(attributions, [copies, batch, ...attributions.shape.slice(1)]);
          return [tf.sum(perCopy, 0), tf.sum(tf.square(perCopy), 0)];
        });
        attributions.dispose();
        sum = accumulate(sum, part);
        sumOfSquares = accumulate(sumOfSquares, partSquares);
        tunnel.onProgress?.({ done: start + copies, total: nSamples, stage: 'noisy copies' });
      }
      const mean = (t: tf.Tensor) => tf.div(t, nSamples);
      const attributions = tf.tidy(() =>
        type === 'smoothgrad'
          ? mean(sum!)
          : type === 'smoothgradSq'
            ? mean(sumOfSquares!)
            : tf.sub(mean(sumOfSquares!), tf.square(mean(sum!))),
      );
      return { attributions };
    } finally {
      tf.dispose([sum, sumOfSquares].filter((t): t is tf.Tensor => t !== undefined));
    }
  };
}
