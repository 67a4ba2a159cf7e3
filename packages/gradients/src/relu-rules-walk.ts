import * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  resolveTensorRef,
  reverseWalk,
  selectNeuron,
  type BackwardRule,
  type Graph,
  type GraphNode,
  type NeuronSelector,
  type ResolvedInputs,
  type Target,
} from '@attrib/core';
import { explainedOf } from './method-inputs.js';

export interface NeuronOptions {
  /** Node whose output (or input, with `attributeToNeuronInput`) holds the neuron. */
  readonly layer: string;
  readonly neuron: NeuronSelector;
  readonly attributeToNeuronInput?: boolean;
}

/**
 * The graph cut at the tensor holding the neuron, so that a walk starts there: its output is the
 * layer's output, or the tensor entering the layer.
 */
export function graphUpToNeuron(model: Graph, options: NeuronOptions, fn: string): Graph {
  if (options === null || typeof options !== 'object')
    throw invalidArgument(fn, 'options', 'an object with layer and neuron', options);
  if (typeof options.layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', options.layer);
  const name = resolveTensorRef(
    model,
    { node: options.layer, at: options.attributeToNeuronInput ? 'input' : 'output' },
    fn,
  );
  const end = model.nodes.findIndex((n) => n.name === name);
  return model.derive({ nodes: model.nodes.slice(0, end + 1), output: name });
}

/** The gradient seed that selects the neuron in every sample: ∂Σ neuron / ∂activation. */
export function neuronSeed(selector: NeuronSelector, fn: string): (activation: tf.Tensor) => tf.Tensor {
  if (selector === undefined || selector === null)
    throw invalidArgument(fn, 'neuron', 'an index, an index tuple or a function', selector);
  return (activation) => tf.grad((a: tf.Tensor) => tf.sum(selectNeuron(a, selector, fn)))(activation);
}

/**
 * The explained inputs' "gradients" when the ReLU rule replaces every ReLU's backward, seeded by a
 * target or by a neuron; one walk over the full graph-input list.
 */
export function ruleInputGradient(
  model: Graph,
  inputs: ResolvedInputs<unknown>,
  rules: (node: GraphNode) => BackwardRule | undefined,
  seed: { target?: Target } | { neuron: NeuronOptions },
  fn: string,
): tf.Tensor[] {
  const xs = inputs.assemble(inputs.explained);
  const walk =
    'neuron' in seed
      ? reverseWalk(graphUpToNeuron(model, seed.neuron, fn), xs, {
          outputGradient: neuronSeed(seed.neuron.neuron, fn),
          rules,
          fn,
        })
      : reverseWalk(model, xs, { target: seed.target, rules, fn });
  walk.output.dispose();
  const explained = explainedOf(model, inputs, walk.inputGradients);
  tf.dispose(walk.inputGradients.filter((g) => !explained.includes(g)));
  return explained;
}
