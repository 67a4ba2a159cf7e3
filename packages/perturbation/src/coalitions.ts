import type * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  coalitionKeepMasks,
  createScorer,
  evaluateMasked,
  ownResult,
  parseFeatureMask,
  resolveBaselines,
  resolveModelInputs,
  spreadGroupValues,
  type AttributionInputs,
  type Baselines,
  type FeatureMask,
  type FeatureMaskInput,
  type ForwardResult,
  type MaskedModel,
  type PerInput,
  type ResolvedInputs,
  type Scorer,
  type Target,
} from '@attrib/core';
import { PERTURBATION_OPTIONS, type AttributionResult, type PerturbationOptions } from './common.js';

export interface CoalitionOptions extends PerturbationOptions {
  readonly target?: Target;
  /**
   * Group ids per explained input (core's `parseFeatureMask`: a tensor, or a list / record per input;
   * broadcastable, shared or per sample; equal ids across inputs are one feature). Default: every scalar alone.
   */
  readonly featureMask?: FeatureMaskInput;
  /** What removed features become, per input (core's `resolveBaselines`); default 0. */
  readonly baselines?: Baselines | null;
}

export const COALITION_OPTIONS = [...PERTURBATION_OPTIONS, 'target', 'featureMask', 'baselines'] as const;

/** What a coalition game needs: the value of any set of present groups, batched over coalitions. */
export interface CoalitionGame {
  readonly scorer: Scorer;
  readonly inputs: ResolvedInputs<unknown>;
  readonly mask: FeatureMask;
  readonly groups: number;
  /** The baselines, one per explained input, resolved to its shape. */
  readonly baselines: readonly tf.Tensor[];
  /**
   * Values of `count` coalitions, [count × nOut]; `fill(i, flags)` writes coalition i's presence
   * flags (1 = the group keeps the input, 0 = baseline) into `flags` (length groups, zeroed).
   * `replacement` replaces the baselines for coalitions [start, end) (per input, [count, N, ...]).
   */
  values(
    count: number,
    fill: (index: number, flags: Float32Array) => void,
    stage?: string,
    replacement?: (start: number, end: number) => tf.Tensor[],
  ): Promise<Float64Array>;
}

export interface GameSetup {
  readonly fn: string;
  /** Option names the method accepts (checked, with "did you mean"). */
  readonly known: readonly string[];
  readonly aliases?: Readonly<Record<string, string>>;
  readonly booleans?: readonly string[];
  /** A per-sample quantity to explain instead of the target column (neuron methods). */
  readonly objective?: (result: ForwardResult, options: Record<string, unknown>) => tf.Tensor;
  readonly objectiveArgument?: string;
}

/**
 * Checks the options, resolves inputs, target, feature mask and baselines (core's mechanisms), runs
 * `body`, which returns one value per (result row, group) [nOut × groups], and spreads those values
 * onto every element of every explained input. Everything but the result is freed, also on errors.
 */
export async function withCoalitionGame<I extends AttributionInputs, O extends CoalitionOptions>(
  model: MaskedModel,
  inputs: I,
  rawOptions: O | undefined,
  setup: GameSetup,
  body: (game: CoalitionGame, options: O) => Promise<Float64Array>,
): Promise<AttributionResult<I>> {
  const { fn } = setup;
  const options = checkOptions(fn, rawOptions, setup.known, {
    aliases: setup.aliases,
    booleans: setup.booleans,
  });
  const resolved = resolveModelInputs(model, inputs, { fn, additionalInputs: options.additionalInputs });
  let mask: FeatureMask | undefined;
  let baselines: tf.Tensor[] = [];
  try {
    const objective = setup.objective;
    const scorer = createScorer(model, resolved, {
      fn,
      target: options.target,
      hooks: options.hooks,
      objective: objective && ((result) => objective(result, options as Record<string, unknown>)),
      objectiveArgument: setup.objectiveArgument,
    });
    const shapes = resolved.explained.map((x) => x.shape);
    mask = parseFeatureMask(options.featureMask, shapes, fn, 'featureMask', resolved.names);
    baselines = resolveBaselines(options.baselines, resolved, fn);
    const groupMask = mask;
    const game: CoalitionGame = {
      scorer,
      inputs: resolved,
      mask: groupMask,
      groups: groupMask.groups,
      baselines,
      values: (count, fill, stage, replacement) =>
        evaluateMasked(scorer, baselines, {
          total: count,
          replacement,
          perturbationsPerEval: options.perturbationsPerEval,
          memoryBudget: options.memoryBudget,
          onProgress: options.onProgress,
          stage,
          keep(start, end) {
            const { groups } = groupMask;
            const flags = new Float32Array((end - start) * groups);
            for (let i = start; i < end; i++)
              fill(i, flags.subarray((i - start) * groups, (i - start + 1) * groups));
            return coalitionKeepMasks(groupMask, flags, end - start);
          },
        }),
    };
    const perGroup = await body(game, options);
    const attributions = spreadGroupValues(groupMask, perGroup, scorer.nOut, shapes, fn);
    return ownResult({ attributions: resolved.restore(attributions) as PerInput<I> });
  } finally {
    mask?.dispose();
    for (const baseline of baselines) baseline.dispose();
    resolved.dispose();
  }
}
