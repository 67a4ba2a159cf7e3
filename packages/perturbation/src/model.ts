import * as tf from '@tensorflow/tfjs-core';
import {
  Graph,
  assertFinite,
  invalidArgument,
  selectTarget,
  targetIndices,
  type ForwardHook,
  type Target,
} from '@attrib/core';

/** A forward function: a batch in, logits (or one scalar for the whole batch) out. */
export type ForwardFunction = (inputs: tf.Tensor) => tf.Tensor;

/** What perturbation methods explain: an Attrib graph or any batched forward function. */
export type Model = Graph | ForwardFunction;

/** A forward pass's tensors, for objectives other than a target column (a neuron, say). */
export interface ObjectiveContext {
  readonly output: tf.Tensor;
  readonly values: ReadonlyMap<string, tf.Tensor>;
  readonly nodeInputs: ReadonlyMap<string, readonly tf.Tensor[]>;
}

export interface ScorerOptions {
  readonly target?: Target;
  /** Per-sample quantity to explain instead of the target column (graph models only). */
  readonly objective?: (context: ObjectiveContext) => tf.Tensor;
  /** Hooks for every forward pass (graph models only). */
  readonly hooks?: readonly ForwardHook[];
  readonly fn: string;
}

/**
 * The explained quantity for stacked perturbed copies of one batch. `nOut` is the batch size, or 1
 * when the forward returns one scalar for the whole batch (`aggregate`).
 */
export interface Scorer {
  /** Values for `copies` stacked copies ([copies·N, ...]) → [copies, nOut]. Call inside tf.tidy. */
  score(stacked: tf.Tensor, copies: number, hooks?: readonly ForwardHook[]): tf.Tensor;
  readonly nOut: number;
  readonly aggregate: boolean;
  /** The quantity at the unperturbed input, [nOut]. */
  readonly reference: Float64Array;
}

/** Checks the model and inputs once and builds the batched scoring function. */
export function createScorer(model: Model, inputs: tf.Tensor, options: ScorerOptions): Scorer {
  const { fn } = options;
  if (!(model instanceof Graph) && typeof model !== 'function')
    throw invalidArgument(fn, 'model', 'a Graph or a forward function', model);
  if (!(inputs instanceof tf.Tensor))
    throw invalidArgument(fn, 'inputs', 'a tensor with the batch axis first', inputs);
  if (inputs.rank < 1 || inputs.shape[0] < 1)
    throw invalidArgument(fn, 'inputs', 'a tensor with a non-empty batch axis', inputs);
  assertFinite(inputs, fn, 'inputs');
  if (options.objective && !(model instanceof Graph))
    throw invalidArgument(fn, 'model', 'a Graph for layer and neuron methods', model);
  if (options.hooks !== undefined && (!Array.isArray(options.hooks) || !(model instanceof Graph))) {
    throw invalidArgument(fn, 'hooks', 'an array of forward hooks, with a Graph model', options.hooks);
  }
  const callHooks = options.hooks ?? [];

  const batch = inputs.shape[0];
  const run = (x: tf.Tensor, hooks: readonly ForwardHook[] = []) => {
    if (model instanceof Graph) {
      const result = model.forward(x, { hooks: [...callHooks, ...hooks], fn });
      return { output: result.output, objective: options.objective?.(result) };
    }
    return { output: model(x), objective: undefined };
  };

  const outputShape = tf.tidy(() => run(inputs).output.shape);
  const aggregate = outputShape.length === 0;
  const indices = options.objective || aggregate ? null : targetIndices(options.target, outputShape, fn);
  const tiled = new Map<number, Int32Array>();
  const targetFor = (copies: number): Target | undefined => {
    if (!indices) return options.target;
    if (copies === 1) return indices;
    let cached = tiled.get(copies);
    if (!cached) {
      cached = new Int32Array(copies * batch);
      for (let c = 0; c < copies; c++) cached.set(indices, c * batch);
      tiled.set(copies, cached);
    }
    return cached;
  };

  const score = (stacked: tf.Tensor, copies: number, hooks?: readonly ForwardHook[]): tf.Tensor => {
    const { output, objective } = run(stacked, hooks);
    if (aggregate) {
      if (copies !== 1)
        throw invalidArgument(
          fn,
          'perturbationsPerEval',
          '1 when the forward returns one scalar per batch',
          copies,
        );
      return tf.reshape(output, [1, 1]);
    }
    const value = objective ?? selectTarget(output, targetFor(copies), fn);
    if (value.rank !== 1 || value.shape[0] !== copies * batch) {
      throw invalidArgument(
        fn,
        options.objective ? 'neuronSelector' : 'target',
        `one value per sample (shape [${copies * batch}])`,
        value,
      );
    }
    return tf.reshape(value, [copies, batch]);
  };

  const referenceTensor = tf.tidy(() => score(inputs, 1));
  const reference = Float64Array.from(referenceTensor.dataSync());
  referenceTensor.dispose();
  return { score, nOut: aggregate ? 1 : batch, aggregate, reference };
}
