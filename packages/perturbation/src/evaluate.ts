import * as tf from '@tensorflow/tfjs-core';
import { chunkRanges, yieldToEventLoop, type ProgressCallback } from '@attrib/core';

const YIELD_EVERY_MS = 10;

export interface EvaluationPlan {
  /** Number of perturbations. */
  readonly total: number;
  /** Perturbations stacked into one forward pass (default 1). */
  readonly perturbationsPerEval?: number;
  readonly fn: string;
  readonly nOut: number;
  /** Runs perturbations [start, end) as one stacked forward; returns [end − start, nOut]. Inside tf.tidy. */
  evaluate(start: number, end: number): tf.Tensor;
  readonly onProgress?: ProgressCallback;
  readonly stage?: string;
}

/**
 * Evaluates every perturbation in chunks of `perturbationsPerEval`, yielding to the event loop
 * between chunks. Returns the values as [total × nOut] float64 (each chunk read back, then freed).
 */
export async function evaluatePerturbations(plan: EvaluationPlan): Promise<Float64Array> {
  const ranges = chunkRanges(plan.total, plan.perturbationsPerEval ?? 1, plan.fn, 'perturbationsPerEval');
  const values = new Float64Array(plan.total * plan.nOut);
  let lastYield = performance.now();
  for (const [start, end] of ranges) {
    const chunk = tf.tidy(() => plan.evaluate(start, end));
    try {
      values.set(await chunk.data(), start * plan.nOut);
    } finally {
      chunk.dispose();
    }
    plan.onProgress?.({ done: end, total: plan.total, stage: plan.stage ?? plan.fn });
    // A timer yield costs about a millisecond; with tiny chunks that would dominate, so yield once
    // the chunks since the last one took a frame's worth of time (the page stays responsive).
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  return values;
}
