import * as tf from '@tensorflow/tfjs-core';
import { forEachChunk, type ProgressCallback } from './batching.js';
import { invalidArgument } from './errors.js';
import { Graph, type ForwardResult } from './graph.js';
import type { ForwardHook } from './hooks.js';
import { resolveInputs, type AttributionInputs, type InputOptions, type ResolvedInputs } from './inputs.js';
import { rowsPerPass } from './memory-budget.js';
import { selectTarget, targetIndices, type Target } from './target.js';

/** A batched forward function of one input: a batch in, logits (or one scalar for the whole batch) out. */
export type ForwardFunction = (inputs: tf.Tensor) => tf.Tensor;

/** What perturbation methods and metrics evaluate: an Attrib graph or a forward function. */
export type MaskedModel = Graph | ForwardFunction;

/** A forward function reads one tensor: its inputs are checked as a one-input graph's are. */
const functionInputs = new Graph({ inputs: [{ name: 'input' }], nodes: [], output: 'input' });

/** `resolveInputs` for either kind of model (a forward function has one input). */
export function resolveModelInputs<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options: InputOptions,
): ResolvedInputs<I> {
  if (!(model instanceof Graph) && typeof model !== 'function')
    throw invalidArgument(options.fn, 'model', 'a Graph or a forward function', model);
  if (
    !(model instanceof Graph) &&
    options.additionalInputs !== undefined &&
    options.additionalInputs !== null
  )
    throw invalidArgument(options.fn, 'additionalInputs', 'absent with a forward-function model', 'inputs');
  return resolveInputs(model instanceof Graph ? model : functionInputs, inputs, options);
}

export interface ScorerOptions {
  readonly fn: string;
  readonly target?: Target;
  /** A per-row quantity to evaluate instead of the target column (a neuron, say; graph models only). */
  readonly objective?: (result: ForwardResult) => tf.Tensor;
  /** The option the objective comes from, for errors (e.g. 'neuron'). */
  readonly objectiveArgument?: string;
  /** Hooks for every forward pass (graph models only). */
  readonly hooks?: readonly ForwardHook[];
}

/**
 * The evaluated quantity of a model on rows made from the inputs: the target column (expanded to
 * whatever sample each row copies), an objective, or, when the forward returns one scalar for the
 * whole batch (a loss), that scalar (`aggregate`).
 */
export interface Scorer {
  readonly model: MaskedModel;
  readonly inputs: ResolvedInputs<unknown>;
  /** Result rows per evaluation of the batch: the batch size, or 1 when `aggregate`. */
  readonly nOut: number;
  readonly aggregate: boolean;
  /** The quantity at the unperturbed inputs, [nOut]. */
  readonly reference: Float64Array;
  /**
   * Values for rows built from `explained` (one tensor per explained input, row r a variant of sample
   * `samples[r]`); fixed inputs are gathered to match. Returns [rows] ([1] when aggregate). Inside tf.tidy.
   */
  score(explained: readonly tf.Tensor[], samples: Int32Array, hooks?: readonly ForwardHook[]): tf.Tensor;
}

/** Checks the model, target and hooks once, and evaluates the unperturbed inputs (`reference`). */
export function createScorer(
  model: MaskedModel,
  inputs: ResolvedInputs<unknown>,
  options: ScorerOptions,
): Scorer {
  const { fn } = options;
  const isGraph = model instanceof Graph;
  if (options.objective && !isGraph)
    throw invalidArgument(fn, 'model', 'a Graph for layer and neuron methods', model);
  if (options.hooks !== undefined && (!Array.isArray(options.hooks) || !isGraph))
    throw invalidArgument(fn, 'hooks', 'an array of forward hooks, with a Graph model', options.hooks);
  const callHooks = options.hooks ?? [];
  const { batch } = inputs;
  const explainedNames = new Set(inputs.names);

  const run = (
    explained: readonly tf.Tensor[],
    samples: Int32Array | null,
    hooks: readonly ForwardHook[],
  ) => {
    if (!isGraph) return { output: model(explained[0]), objective: undefined };
    let e = 0;
    let a = 0;
    const list = model.inputs.map(({ name }) => {
      if (explainedNames.has(name)) return explained[e++];
      const fixed = inputs.additional[a++];
      return samples ? tf.gather(fixed, samples) : fixed;
    });
    const result = model.forward(list, { hooks: [...callHooks, ...hooks], fn });
    return { output: result.output, objective: options.objective?.(result) };
  };

  const outputShape = tf.tidy(() => run(inputs.explained, null, []).output.shape);
  const aggregate = outputShape.length === 0 && !options.objective;
  const indices = options.objective || aggregate ? null : targetIndices(options.target, outputShape, fn);

  const score = (
    explained: readonly tf.Tensor[],
    samples: Int32Array,
    hooks: readonly ForwardHook[] = [],
  ) => {
    const rows = samples.length;
    const identity = rows === batch && samples.every((s, r) => s === r);
    const { output, objective } = run(explained, identity ? null : samples, hooks);
    if (aggregate) {
      if (rows !== batch)
        throw invalidArgument(
          fn,
          'perturbationsPerEval',
          '1 when the forward returns one scalar per batch',
          rows / batch,
        );
      return tf.reshape(output, [1]);
    }
    const value =
      objective ??
      selectTarget(output, indices ? Int32Array.from(samples, (s) => indices[s]) : options.target, fn);
    if (value.rank !== 1 || value.shape[0] !== rows) {
      throw invalidArgument(
        fn,
        options.objective ? (options.objectiveArgument ?? 'objective') : 'target',
        `one value per sample (shape [${rows}])`,
        value,
      );
    }
    return value;
  };

  const identity = Int32Array.from({ length: batch }, (_, i) => i);
  const referenceTensor = tf.tidy(() => score(inputs.explained, identity));
  const reference = Float64Array.from(referenceTensor.dataSync());
  referenceTensor.dispose();
  return { model, inputs, nOut: aggregate ? 1 : batch, aggregate, reference, score };
}

/**
 * Many masked variants of the inputs. Two layouts: by default perturbation p is a copy of the whole
 * batch (rows p·N … p·N + N − 1, what feature ablation and coalition games need; values [total × nOut]);
 * with `sampleOf`, perturbation p is one row, a variant of sample `sampleOf(p)` (what deletion curves
 * and faithfulness correlation need; values [total]).
 */
export interface MaskedEvaluationPlan {
  readonly total: number;
  readonly sampleOf?: (perturbation: number) => number;
  /**
   * Keep masks (1 = the input's value, 0 = the replacement's) for perturbations [start, end), one per
   * explained input: [count, 1 or N, ...] broadcastable to the input (copies), or [count, ...]
   * broadcastable to one sample (rows). Absent: the inputs are not masked (a hook perturbs instead).
   */
  keep?(start: number, end: number): readonly tf.Tensor[];
  /** What masked elements become, per input, [count, N, ...] or [count, ...]; default the baselines. */
  replacement?(start: number, end: number): readonly tf.Tensor[];
  /** Extra forward hooks for the chunk's pass, which has `rows` rows. */
  hooks?(start: number, end: number, rows: number): readonly ForwardHook[];
  /**
   * Perturbations per forward pass; by default as many as core's memory budget allows (`rowsPerPass`),
   * and 1 for a forward function or a forward that returns one scalar for the whole batch.
   */
  readonly perturbationsPerEval?: number;
  /** Bytes one pass may hold when `perturbationsPerEval` is not given (default: `getMemoryBudget()`). */
  readonly memoryBudget?: number;
  readonly onProgress?: ProgressCallback;
  readonly stage?: string;
}

/**
 * The one masked-evaluation engine: builds x·keep + replacement·(1 − keep) (exact for 0/1 masks: kept
 * elements equal the input bit for bit; integer inputs such as token ids take `where`) for chunks of
 * `perturbationsPerEval` perturbations, one forward pass per chunk, reads each chunk back, reports
 * progress in rows and yields to the event loop. Returns float64 values (see `MaskedEvaluationPlan`).
 */
export async function evaluateMasked(
  scorer: Scorer,
  baselines: readonly tf.Tensor[],
  plan: MaskedEvaluationPlan,
): Promise<Float64Array> {
  const { inputs, nOut } = scorer;
  const { fn } = inputs;
  const { batch } = inputs;
  const copies = !plan.sampleOf;
  if (!copies && scorer.aggregate)
    throw invalidArgument(
      fn,
      'model',
      'a forward with one output per sample',
      'one scalar for the whole batch',
    );
  const rowsPer = copies ? batch : 1;
  const outPer = copies ? nOut : 1;
  const values = new Float64Array(plan.total * outPer);
  await forEachChunk(
    plan.total,
    perturbationsPerEval(scorer, plan, rowsPer),
    { fn, onProgress: plan.onProgress, stage: plan.stage ?? fn, rowsPerItem: rowsPer },
    async (start, end) => {
      const count = end - start;
      const chunk = tf.tidy(() => {
        const samples = copies
          ? Int32Array.from({ length: count * batch }, (_, r) => r % batch)
          : Int32Array.from({ length: count }, (_, r) => plan.sampleOf!(start + r));
        const keep = plan.keep?.(start, end);
        const replacement = keep ? plan.replacement?.(start, end) : undefined;
        const explained = inputs.explained.map((x, i) => {
          if (!keep)
            return copies ? tf.tile(x, [count, ...x.shape.slice(1).map(() => 1)]) : tf.gather(x, samples);
          const source = copies ? tf.expandDims(x, 0) : tf.gather(x, samples);
          const b =
            replacement?.[i] ?? (copies ? tf.expandDims(baselines[i], 0) : tf.gather(baselines[i], samples));
          const mixed =
            x.dtype === 'float32'
              ? tf.add(tf.mul(source, keep[i]), tf.mul(b, tf.sub(1, keep[i])))
              : tf.where(tf.greater(keep[i], 0.5), source, b);
          const full = copies ? [count, ...x.shape] : [count, ...x.shape.slice(1)];
          return tf.reshape(tf.broadcastTo(mixed, full), [count * rowsPer, ...x.shape.slice(1)]);
        });
        return scorer.score(explained, samples, plan.hooks?.(start, end, count * rowsPer) ?? []);
      });
      try {
        values.set(await chunk.data(), start * outPer);
      } finally {
        chunk.dispose();
      }
    },
  );
  return values;
}

/** The caller's `perturbationsPerEval` (checked), else what fits the memory budget. */
function perturbationsPerEval(scorer: Scorer, plan: MaskedEvaluationPlan, rowsPer: number): number {
  const { fn } = scorer.inputs;
  const explicit = plan.perturbationsPerEval;
  const argument = 'perturbationsPerEval';
  if (explicit !== undefined && explicit !== null)
    return rowsPerPass(functionInputs, [], { fn, explicit, argument });
  // A forward function cannot be measured, and a batch-scalar forward must see one copy at a time.
  if (!(scorer.model instanceof Graph) || scorer.aggregate) return 1;
  const inputs = scorer.inputs.assemble(scorer.inputs.explained);
  const rows = rowsPerPass(scorer.model, inputs, { fn, memoryBudget: plan.memoryBudget });
  return Math.max(1, Math.floor(rows / rowsPer));
}
