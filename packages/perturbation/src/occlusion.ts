import * as tf from '@tensorflow/tfjs-core';
import type { Target } from '@attrib/core';
import { baselineFor, type AttributionResult, type PerturbationOptions } from './common.js';
import { evaluatePerturbations } from './evaluate.js';
import { scorePresent } from './input-space.js';
import { createScorer, type Model } from './model.js';
import { windowGrid } from './windows.js';

export interface OcclusionOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Window size per non-batch axis, NHWC order (e.g. [kh, kw, C]). */
  readonly slidingWindowShapes: readonly number[];
  /** Step per non-batch axis (default 1 on every axis). */
  readonly strides?: readonly number[];
  /** What an occluded element becomes: a number, a tensor of the input's shape or of one sample's; default 0. */
  readonly baselines?: number | tf.Tensor | null;
}

const FN = 'occlusion';

/**
 * Captum's Occlusion: for every window, diff = f(x)[t] − f(x with the window set to the baseline)[t];
 * each element gets the mean diff of the windows covering it. Windows start at multiples of the
 * stride and are cropped at the far edge.
 */
export async function occlusion(
  model: Model,
  inputs: tf.Tensor,
  options: OcclusionOptions,
): Promise<AttributionResult> {
  const scorer = createScorer(model, inputs, { target: options?.target, hooks: options?.hooks, fn: FN });
  const sample = inputs.shape.slice(1);
  const grid = windowGrid(sample, options?.slidingWindowShapes, options?.strides ?? sample.map(() => 1), FN);
  const baseline = baselineFor(options.baselines, inputs, FN);
  const size = sample.reduce((a, b) => a * b, 1);
  try {
    const values = await evaluatePerturbations({
      total: grid.count,
      perturbationsPerEval: options.perturbationsPerEval,
      nOut: scorer.nOut,
      fn: FN,
      onProgress: options.onProgress,
      evaluate(start, end) {
        const present = new Float32Array((end - start) * size).fill(1);
        for (let w = start; w < end; w++)
          grid.forEachElement(w, (flat) => (present[(w - start) * size + flat] = 0));
        const masks = tf.tensor(present, [end - start, 1, ...sample]);
        return scorePresent(scorer, inputs, baseline, masks, end - start);
      },
    });
    const { nOut, reference } = scorer;
    const sums = new Float64Array(nOut * size);
    const covered = new Float64Array(size);
    for (let w = 0; w < grid.count; w++) {
      grid.forEachElement(w, (flat) => {
        covered[flat] += 1;
        for (let n = 0; n < nOut; n++) sums[n * size + flat] += reference[n] - values[w * nOut + n];
      });
    }
    const attributions = new Float32Array(nOut * size);
    for (let n = 0; n < nOut; n++) {
      for (let i = 0; i < size; i++)
        attributions[n * size + i] = covered[i] > 0 ? sums[n * size + i] / covered[i] : 0;
    }
    return { attributions: tf.tensor(attributions, [nOut, ...sample]) };
  } finally {
    baseline.dispose();
  }
}
