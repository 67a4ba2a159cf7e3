import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';
import type { Graph, GraphInputs } from './graph.js';
import { ensureTfjsExtras } from './setup.js';
import { disposeAbandonedTape } from './tape.js';
import type { ForwardHook } from './hooks.js';
import { selectTarget, type Target } from './target.js';

/** A tensor in the graph: a node's output (`'fc1'`), or the tensor entering a node. */
export type TensorRef = string | { readonly node: string; readonly at: 'output' | 'input' };

/** The name of the graph value a ref points at: a node output or a graph input. */
export function resolveTensorRef(graph: Graph, ref: TensorRef, fn: string): string {
  if (typeof ref === 'string') {
    if (graph.isInput(ref)) return ref;
    return graph.node(ref, fn).name;
  }
  const node = graph.node(ref.node, fn);
  // The tensor entering a node is its first input's output, seen by all of that tensor's readers
  // (as a tensor's gradient is in autograd).
  return ref.at === 'input' ? node.inputs[0] : node.name;
}

export function tensorRefKey(ref: TensorRef): string {
  return typeof ref === 'string' ? ref : ref.at === 'input' ? `${ref.node}:input` : ref.node;
}

export interface ObjectiveContext {
  readonly output: tf.Tensor;
  /** Node outputs and graph inputs of this forward pass, by name. */
  readonly values: ReadonlyMap<string, tf.Tensor>;
}

export interface GradientOptions {
  /** The output to explain; see `Target`. Ignored when `objective` is given. */
  readonly target?: Target;
  /** Per-sample quantity to differentiate (shape [N]) instead of a target column. */
  readonly objective?: (context: ObjectiveContext) => tf.Tensor;
  /** Tensors whose gradient (and value) is wanted besides the inputs'. */
  readonly tensors?: readonly TensorRef[];
  /** Forward hooks for this call only (replacements, probes, custom gradients). */
  readonly hooks?: readonly ForwardHook[];
  /** Name of the calling method, for error messages. */
  readonly fn?: string;
}

export interface GradientResult {
  /** The model output of the forward pass. */
  readonly output: tf.Tensor;
  /** The per-sample objective, shape [N]. */
  readonly objective: tf.Tensor;
  /** ∂Σobjective/∂input for each graph input. Samples are independent, so row i is sample i's gradient. */
  readonly inputGradients: tf.Tensor[];
  /** Gradient at each requested tensor, keyed by `tensorRefKey`. */
  readonly tensorGradients: Map<string, tf.Tensor>;
  /** Value of each requested tensor in the same pass, keyed likewise. */
  readonly activations: Map<string, tf.Tensor>;
}

/** Identity whose backward reports the gradient arriving at it (accumulated over all readers). */
function gradientTap(x: tf.Tensor, sink: (dy: tf.Tensor) => void): tf.Tensor {
  const tap = tf.customGrad((a: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.clone(a as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      sink(tf.keep(tf.clone(dy)));
      return dy;
    },
  }));
  return tap(x) as tf.Tensor;
}

/**
 * One forward and one backward pass: the gradient of the per-sample objective with respect to the
 * inputs and to any intermediate tensors, batched. Everything returned is owned by the caller; no
 * other tensor outlives the call.
 */
export function gradients(graph: Graph, inputs: GraphInputs, options: GradientOptions = {}): GradientResult {
  const fn = options.fn ?? 'gradients';
  ensureTfjsExtras();
  const xs = graph.normalizeInputs(inputs, fn);
  const refs = (options.tensors ?? []).map((ref) => ({
    key: tensorRefKey(ref),
    name: resolveTensorRef(graph, ref, fn),
  }));
  const tappedNodes = [...new Set(refs.map((r) => r.name).filter((name) => !graph.isInput(name)))];
  const arrived = new Map<string, tf.Tensor>();
  const taps: ForwardHook[] = tappedNodes.map((name) => ({
    name: 'gradient tap',
    node: name,
    after: ({ output }) => gradientTap(output, (dy) => arrived.set(name, dy)),
  }));

  let output: tf.Tensor | undefined;
  let objective: tf.Tensor | undefined;
  const values = new Map<string, tf.Tensor>();
  const forwardAndObjective = (...args: tf.Tensor[]) => {
    const result = graph.forward(args, { hooks: [...(options.hooks ?? []), ...taps], fn });
    const perSample = options.objective
      ? options.objective({ output: result.output, values: result.values })
      : selectTarget(result.output, options.target, fn);
    if (perSample.rank !== 1 || perSample.shape[0] !== result.output.shape[0]) {
      throw invalidArgument(
        fn,
        'objective',
        `a function returning one value per sample (shape [${result.output.shape[0]}])`,
        perSample,
      );
    }
    output = tf.keep(tf.clone(result.output));
    objective = tf.keep(tf.clone(perSample));
    for (const { name } of refs)
      if (!values.has(name)) values.set(name, tf.keep(tf.clone(result.values.get(name)!)));
    return tf.sum(perSample) as tf.Scalar;
  };

  let inputGradients: tf.Tensor[];
  try {
    const { value, grads } = tf.valueAndGrads(forwardAndObjective)(xs);
    value.dispose();
    inputGradients = grads;
  } catch (error) {
    disposeAbandonedTape();
    tf.dispose(
      [output, objective, ...values.values(), ...arrived.values()].filter(
        (t): t is tf.Tensor => t !== undefined,
      ),
    );
    throw error;
  }

  const tensorGradients = new Map<string, tf.Tensor>();
  const activations = new Map<string, tf.Tensor>();
  for (const { key, name } of refs) {
    if (tensorGradients.has(key)) continue;
    const inputIndex = graph.inputs.findIndex((i) => i.name === name);
    const gradient =
      inputIndex >= 0
        ? tf.clone(inputGradients[inputIndex])
        : arrived.has(name)
          ? tf.clone(arrived.get(name)!)
          : tf.zerosLike(values.get(name)!);
    tensorGradients.set(key, gradient);
    activations.set(key, tf.clone(values.get(name)!));
  }
  tf.dispose([...values.values(), ...arrived.values()]);
  return { output: output!, objective: objective!, inputGradients, tensorGradients, activations };
}
