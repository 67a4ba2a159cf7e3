import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';
import type { Graph, GraphInputs } from './graph.js';
import { ensureTfjsExtras } from './setup.js';
import { disposeAbandonedTape } from './tape.js';
import type { ForwardHook } from './hooks.js';
import { selectTarget, targetIndices, type Target } from './target.js';

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
  /**
   * `false` stops the backward pass at the requested tensors (faster; `inputGradients` is then empty).
   * Default true.
   */
  readonly inputGradients?: boolean;
  /**
   * The graph inputs (by name) to differentiate with respect to; default all. Fixed inputs (masks,
   * integer ids) are left out, and `inputGradients` then holds these, in this order.
   */
  readonly wrt?: readonly string[];
  /** Name of the calling method, for error messages. */
  readonly fn?: string;
}

export interface GradientResult {
  /** The model output of the forward pass. */
  readonly output: tf.Tensor;
  /** The per-sample objective, shape [N]. */
  readonly objective: tf.Tensor;
  /**
   * ∂Σobjective/∂input for each graph input (empty with `inputGradients: false`). Samples are
   * independent, so row i is sample i's gradient.
   */
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

/** Graph values the output depends on: only those can receive a gradient. */
function feedingOutput(graph: Graph): Set<string> {
  const live = new Set([graph.output]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (live.has(node.name)) node.inputs.forEach((input) => live.add(input));
  }
  return live;
}

/** Per-sample shapes of graph values, from a one-row forward pass (probes must match their tensors). */
function perSampleShapes(
  graph: Graph,
  xs: tf.Tensor[],
  names: readonly string[],
  options: GradientOptions,
  fn: string,
) {
  return tf.tidy(() => {
    const { values, output } = graph.forward(
      xs.map((x) => tf.slice(x, [0], [1])),
      { hooks: options.hooks, fn },
    );
    // Checked here, before a gradient tape holds tensors saved for its backward pass.
    if (!options.objective) targetIndices(options.target, [xs[0].shape[0], ...output.shape.slice(1)], fn);
    return names.map((name) => values.get(name)!.shape.slice(1));
  });
}

/**
 * One forward and one backward pass: the gradient of the per-sample objective with respect to the
 * inputs and to any intermediate tensors, batched. Everything returned is owned by the caller; no
 * other tensor outlives the call.
 *
 * By default the gradient is taken with respect to the inputs and "tapped" on its way through the
 * requested tensors. With `inputGradients: false` a zero probe is added to each requested tensor and
 * only the probes are differentiated, so the backward pass stops there (no input gradient: on a conv
 * net that is most of the backward's cost).
 */
export function gradients(graph: Graph, inputs: GraphInputs, options: GradientOptions = {}): GradientResult {
  const fn = options.fn ?? 'gradients';
  ensureTfjsExtras();
  const xs = graph.normalizeInputs(inputs, fn);
  const refs = (options.tensors ?? []).map((ref) => ({
    key: tensorRefKey(ref),
    name: resolveTensorRef(graph, ref, fn),
  }));
  const names = [...new Set(refs.map((r) => r.name))];
  const viaProbes = options.inputGradients === false;
  const arrived = new Map<string, tf.Tensor>();
  const taps: ForwardHook[] = viaProbes
    ? []
    : names
        .filter((name) => !graph.isInput(name))
        .map((name) => ({
          name: 'gradient tap',
          node: name,
          after: ({ output }) => gradientTap(output, (dy) => arrived.set(name, dy)),
        }));
  const feeding = feedingOutput(graph);
  // tfjs refuses to differentiate with respect to a tensor off every path to the output.
  const probed = viaProbes ? names.filter((name) => feeding.has(name)) : [];
  const probes = viaProbes
    ? perSampleShapes(graph, xs, probed, options, fn).map((shape) => tf.zeros([xs[0].shape[0], ...shape]))
    : [];

  let output: tf.Tensor | undefined;
  let objective: tf.Tensor | undefined;
  const values = new Map<string, tf.Tensor>();
  const wrt = (options.wrt ?? graph.inputs.map((i) => i.name)).map((name) => {
    const k = graph.inputs.findIndex((i) => i.name === name);
    if (k < 0) throw invalidArgument(fn, 'wrt', 'names of graph inputs', name);
    return k;
  });
  const forwardAndObjective = (...args: tf.Tensor[]) => {
    const probeOf = new Map(probed.map((name, i) => [name, args[i]]));
    const runInputs = viaProbes
      ? xs.map((x, k) =>
          probeOf.has(graph.inputs[k].name) ? tf.add(x, probeOf.get(graph.inputs[k].name)!) : x,
        )
      : xs.map((x, k) => (wrt.includes(k) ? args[wrt.indexOf(k)] : x));
    const probeHooks: ForwardHook[] = probed
      .filter((name) => !graph.isInput(name))
      .map((name) => ({
        name: 'gradient probe',
        node: name,
        after: ({ output }) => tf.add(output, probeOf.get(name)!),
      }));
    const result = graph.forward(runInputs, {
      hooks: [...(options.hooks ?? []), ...taps, ...probeHooks],
      fn,
    });
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
    for (const name of names)
      if (!values.has(name)) values.set(name, tf.keep(tf.clone(result.values.get(name)!)));
    return tf.sum(perSample) as tf.Scalar;
  };

  let grads: tf.Tensor[];
  try {
    if (viaProbes && probes.length === 0) {
      tf.tidy(() => forwardAndObjective());
      grads = [];
    } else {
      const { value, grads: computed } = tf.valueAndGrads(forwardAndObjective)(
        viaProbes ? probes : wrt.map((k) => xs[k]),
      );
      value.dispose();
      grads = computed;
    }
  } catch (error) {
    disposeAbandonedTape();
    tf.dispose(
      [output, objective, ...probes, ...values.values(), ...arrived.values()].filter(
        (t): t is tf.Tensor => t !== undefined,
      ),
    );
    throw error;
  }

  const gradientOf = (name: string): tf.Tensor => {
    if (viaProbes)
      return probed.includes(name) ? tf.clone(grads[probed.indexOf(name)]) : tf.zerosLike(values.get(name)!);
    const inputIndex = wrt.indexOf(graph.inputs.findIndex((i) => i.name === name));
    if (inputIndex >= 0) return tf.clone(grads[inputIndex]);
    return arrived.has(name) ? tf.clone(arrived.get(name)!) : tf.zerosLike(values.get(name)!);
  };
  const tensorGradients = new Map<string, tf.Tensor>();
  const activations = new Map<string, tf.Tensor>();
  for (const { key, name } of refs) {
    if (tensorGradients.has(key)) continue;
    tensorGradients.set(key, gradientOf(name));
    activations.set(key, tf.clone(values.get(name)!));
  }
  const inputGradients = viaProbes ? [] : grads;
  if (viaProbes) tf.dispose(grads);
  tf.dispose([...probes, ...values.values(), ...arrived.values()]);
  return { output: output!, objective: objective!, inputGradients, tensorGradients, activations };
}
