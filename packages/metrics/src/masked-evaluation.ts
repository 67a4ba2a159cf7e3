import * as tf from '@tensorflow/tfjs-core';
import { chunkRanges, yieldToEventLoop, type Graph, type ProgressCallback, type Target } from '@attrib/core';
import { targetValues } from './target-values.js';

export interface MaskedRows {
  readonly rows: number;
  /** Which input sample row `r` is made from. */
  sampleOf(row: number): number;
  /** Writes row `r`'s keep mask (1 = the input's value, 0 = the baseline's) over one sample's elements. */
  fillKeep(row: number, keep: Float32Array): void;
}

export interface MaskedEvaluationOptions {
  readonly target?: Target;
  /** Per-sample class indices (null for a function target). */
  readonly sampleTargets: Int32Array | null;
  readonly perturbationsPerEval?: number;
  readonly onProgress?: ProgressCallback;
  readonly stage: string;
  readonly fn: string;
}

/**
 * The target value of many masked copies of the inputs, `baseline + keep ⊙ (x − baseline)`, built and
 * run in chunks of `perturbationsPerEval` rows (one forward per chunk), yielding between chunks.
 */
export async function evaluateMasked(
  model: Graph,
  inputs: tf.Tensor,
  baselines: tf.Tensor,
  masks: MaskedRows,
  options: MaskedEvaluationOptions,
): Promise<Float32Array> {
  const size = inputs.shape.slice(1).reduce((a, b) => a * b, 1);
  const values = new Float32Array(masks.rows);
  const chunks = chunkRanges(masks.rows, options.perturbationsPerEval, options.fn, 'perturbationsPerEval');
  for (const [index, [start, end]] of chunks.entries()) {
    const count = end - start;
    const keep = new Float32Array(count * size);
    const samples = new Int32Array(count);
    for (let r = start; r < end; r++) {
      samples[r - start] = masks.sampleOf(r);
      masks.fillKeep(r, keep.subarray((r - start) * size, (r - start + 1) * size));
    }
    const rowTargets = options.sampleTargets ? samples.map((s) => options.sampleTargets![s]) : null;
    const mixed = tf.tidy(() => {
      const which = tf.tensor1d(samples, 'int32');
      const x = tf.gather(inputs, which);
      const b = tf.gather(baselines, which);
      return tf.add(b, tf.mul(tf.tensor(keep, x.shape), tf.sub(x, b)));
    });
    try {
      values.set(targetValues(model, mixed, rowTargets, options.target, options.fn), start);
    } finally {
      mixed.dispose();
    }
    options.onProgress?.({ done: index + 1, total: chunks.length, stage: options.stage });
    if (index + 1 < chunks.length) await yieldToEventLoop();
  }
  return values;
}
