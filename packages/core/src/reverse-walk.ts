import * as tf from '@tensorflow/tfjs-core';
import { AttribError, PluginError, ShapeMismatchError } from './errors.js';
import type { Graph, GraphInputs, GraphNode } from './graph.js';
import type { ForwardHook } from './hooks.js';
import { ensureTfjsExtras } from './setup.js';
import { disposeAbandonedTape } from './tape.js';
import { orderTapeAfter, tapeLength } from './tape-order.js';
import { targetOneHot, type Target } from './target.js';

export interface RuleContext {
  readonly node: GraphNode;
  /** What the node received in the forward pass. */
  readonly inputs: readonly tf.Tensor[];
  readonly output: tf.Tensor;
  /** Gradient, or relevance, arriving at the node's output (summed over its readers). */
  readonly gradOutput: tf.Tensor;
}

/**
 * A node's backward behaviour: given what arrives at its output, what goes to each input (`null`: nothing).
 * Plain gradient is the default; LRP, GuidedBackprop, Deconvolution and DeepLift are other rules.
 */
export interface BackwardRule {
  readonly name: string;
  backward(context: RuleContext): readonly (tf.Tensor | null)[];
}

/**
 * Vector–Jacobian product of `f` at `inputs` with `dy`, taken in normal (not custom-gradient) context.
 *
 * Each input enters `f` through a fresh `tf.clone` (an Identity op). Under an outer `tf.grad` (an explanation
 * differentiated with respect to parameters), tfjs records every op on one shared tape, and `tf.grads`
 * follows every recorded path from its inputs to `f`'s output, including paths of the outer forward pass
 * from one input to another: at a fork (`add(fc2(r), r)`) the gradient for `r` would also collect
 * `fc2`'s backward, which the walk adds again at `fc2`, so first- and second-order results were wrong.
 * The clones are leaves no earlier op reaches, so the local VJP sees only `f`, while the outer tape
 * still links each clone to its input and the result stays differentiable.
 */
export function vjp(
  f: (inputs: readonly tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  dy: tf.Tensor,
): tf.Tensor[] {
  const start = tapeLength();
  const result = tf.tidy(() => {
    const leaves = inputs.map((x) => tf.clone(x));
    return tf.grads((...xs: tf.Tensor[]) => f(xs))(leaves, dy);
  });
  // tfjs records the clones it saves of kernel outputs (tanh, sigmoid, …) before the kernels
  // themselves; without reordering, a second-order gradient drops the path through them.
  orderTapeAfter(start);
  return result;
}

/** The ordinary backward of a node (its module's local gradient). */
export const gradientRule: BackwardRule = {
  name: 'gradient',
  backward: ({ node, inputs, gradOutput }) => vjp((xs) => node.module.forward(xs), inputs, gradOutput),
};

export interface ReverseWalkOptions {
  /** Seeds the output with one-hot(target) (Zennit's grad_output). */
  readonly target?: Target;
  /** Or an explicit seed: a tensor of the output's shape, or a function of the output. */
  readonly outputGradient?: tf.Tensor | ((output: tf.Tensor) => tf.Tensor);
  /** The rule for each node; `undefined` means plain gradient. */
  readonly rules?: (node: GraphNode) => BackwardRule | undefined;
  readonly hooks?: readonly ForwardHook[];
  /** Nodes whose arriving gradient/relevance to return: a list, or 'all'. */
  readonly keep?: 'all' | readonly string[];
  readonly fn?: string;
}

export interface ReverseWalkResult {
  readonly output: tf.Tensor;
  /** What reaches each graph input. */
  readonly inputGradients: tf.Tensor[];
  /** What arrives at each kept node's output. */
  readonly nodeGradients: Map<string, tf.Tensor>;
}

/**
 * An explicit reverse walk over the graph: forward once, then node by node from the output, apply the
 * node's rule to what arrived at its output. Rules compute local VJPs with `tf.grads` in normal
 * context, so the walk stays differentiable with respect to parameters (a `tf.grad` around it works).
 * Each place a module is used is its own node, so shared weights get per-place results.
 */
export function reverseWalk(
  graph: Graph,
  inputs: GraphInputs,
  options: ReverseWalkOptions = {},
): ReverseWalkResult {
  const fn = options.fn ?? 'reverseWalk';
  ensureTfjsExtras();
  const keep = options.keep === 'all' ? graph.nodes.map((n) => n.name) : (options.keep ?? []);
  keep.forEach((name) => graph.node(name, fn));
  let result;
  try {
    result = tf.tidy(() => {
      const forward = graph.forward(inputs, { hooks: options.hooks, fn });
      const seed =
        options.outputGradient === undefined
          ? targetOneHot(forward.output, options.target, fn)
          : typeof options.outputGradient === 'function'
            ? options.outputGradient(forward.output)
            : options.outputGradient;
      if (seed.shape.join() !== forward.output.shape.join()) {
        throw new ShapeMismatchError(
          'shape-mismatch',
          `${fn}: the output gradient has shape [${seed.shape}], the output [${forward.output.shape}]`,
        );
      }
      const arriving = new Map<string, tf.Tensor>([[graph.output, seed]]);
      const kept: Record<string, tf.Tensor> = {};
      for (let i = graph.nodes.length - 1; i >= 0; i--) {
        const node = graph.nodes[i];
        const gradOutput = arriving.get(node.name);
        if (!gradOutput) continue;
        if (keep.includes(node.name)) kept[node.name] = tf.clone(gradOutput);
        const rule = options.rules?.(node) ?? gradientRule;
        const context = {
          node,
          inputs: forward.nodeInputs.get(node.name)!,
          output: forward.values.get(node.name)!,
          gradOutput,
        };
        let toInputs: readonly (tf.Tensor | null)[];
        try {
          toInputs = rule.backward(context);
        } catch (error) {
          if (AttribError.isInstance(error)) throw error;
          throw new PluginError(`rule '${rule.name}'`, 'backward', node.name, error);
        }
        node.inputs.forEach((name, k) => {
          const contribution = toInputs[k];
          if (!contribution) return;
          const sofar = arriving.get(name);
          arriving.set(name, sofar ? tf.add(sofar, contribution) : contribution);
        });
      }
      const inputGradients = graph.inputs.map((input, k) => {
        const value = arriving.get(input.name);
        return value ?? tf.zerosLike(forward.values.get(graph.inputs[k].name)!);
      });
      return {
        output: tf.clone(forward.output),
        inputGradients: inputGradients.map((g) => tf.clone(g)),
        kept,
      };
    });
  } catch (error) {
    disposeAbandonedTape();
    throw error;
  }
  return {
    output: result.output,
    inputGradients: result.inputGradients,
    nodeGradients: new Map(Object.entries(result.kept)),
  };
}
