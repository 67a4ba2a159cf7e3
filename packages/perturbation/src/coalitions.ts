import * as tf from '@tensorflow/tfjs-core';
import type { Target } from '@attrib/core';
import { baselineFor, type PerturbationOptions } from './common.js';
import { evaluatePerturbations } from './evaluate.js';
import { coalitionMasks, parseGroupMask, type GroupMask } from './group-mask.js';
import { scorePresent } from './input-space.js';
import { createScorer, type Model, type ScorerOptions, type Scorer } from './model.js';

export interface CoalitionOptions extends PerturbationOptions {
  readonly target?: Target;
  readonly featureMask?: tf.Tensor | null;
  readonly baselines?: number | tf.Tensor | null;
}

/** What a coalition game needs: the value of any set of present groups, batched over coalitions. */
export interface CoalitionGame {
  readonly scorer: Scorer;
  readonly mask: GroupMask;
  readonly groups: number;
  /** The baseline, resolved to the input's shape. */
  readonly baseline: tf.Tensor;
  /**
   * Values of `count` coalitions, [count × nOut]; `fill(i, flags)` writes coalition i's presence
   * flags (1 = the group keeps the input, 0 = baseline) into `flags` (length groups, zeroed).
   */
  values(
    count: number,
    fill: (index: number, flags: Float32Array) => void,
    stage?: string,
  ): Promise<Float64Array>;
}

/**
 * Sets up a game over the feature groups of `inputs` and runs `body` with it; the mask and baseline
 * are freed afterwards, also on errors.
 */
export async function withCoalitionGame<T>(
  model: Model,
  inputs: tf.Tensor,
  options: CoalitionOptions,
  fn: string,
  body: (game: CoalitionGame) => Promise<T>,
  objective?: ScorerOptions['objective'],
): Promise<T> {
  const scorer = createScorer(model, inputs, { target: options.target, hooks: options.hooks, objective, fn });
  const mask = parseGroupMask(options.featureMask, inputs.shape, fn, 'featureMask');
  let baseline: tf.Tensor | undefined;
  try {
    baseline = baselineFor(options.baselines, inputs, fn);
    const replacement = baseline;
    const { groups } = mask;
    const game: CoalitionGame = {
      scorer,
      mask,
      groups,
      baseline: replacement,
      values: (count, fill, stage) =>
        evaluatePerturbations({
          total: count,
          perturbationsPerEval: options.perturbationsPerEval,
          nOut: scorer.nOut,
          fn,
          stage,
          onProgress: options.onProgress,
          evaluate(start, end) {
            const flags = new Float32Array((end - start) * groups);
            for (let i = start; i < end; i++)
              fill(i, flags.subarray((i - start) * groups, (i - start + 1) * groups));
            return scorePresent(
              scorer,
              inputs,
              replacement,
              coalitionMasks(flags, end - start, mask),
              end - start,
            );
          },
        }),
    };
    return await body(game);
  } finally {
    mask.dispose();
    baseline?.dispose();
  }
}
