import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  invalidArgument,
  resolveTensorRef,
  reverseWalk,
  selectNeuron,
  type BackwardRule,
  type Graph,
  type GraphNode,
  type NeuronSelector,
  type Target,
} from '@attrib/core';

export interface NeuronOptions {
  /** Node whose output (or input, with `attributeToNeuronInput`) holds the neuron. */
  readonly layer: string;
  readonly neuron: NeuronSelector;
  readonly attributeToNeuronInput?: boolean;
}

/** Checks what every rule-based method takes: a graph with one input and a finite tensor for it. */
export function checkInputs(model: Graph, inputs: tf.Tensor, fn: string): void {
  if (!(inputs instanceof tf.Tensor)) throw invalidArgument(fn, 'inputs', 'a tensor', inputs);
  if (model.inputs.length !== 1)
    throw invalidArgument(fn, 'model', 'a graph with one input', `${model.inputs.length} inputs`);
  model.normalizeInputs(inputs, fn);
  assertFinite(inputs, fn, 'inputs');
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

/** The input "gradient" when the ReLU rule replaces every ReLU's backward, seeded by a target. */
export function ruleInputGradient(
  model: Graph,
  inputs: tf.Tensor,
  rules: (node: GraphNode) => BackwardRule | undefined,
  seed: { target?: Target } | { neuron: NeuronOptions },
  fn: string,
): tf.Tensor {
  checkInputs(model, inputs, fn);
  const walk =
    'neuron' in seed
      ? reverseWalk(graphUpToNeuron(model, seed.neuron, fn), inputs, {
          outputGradient: neuronSeed(seed.neuron.neuron, fn),
          rules,
          fn,
        })
      : reverseWalk(model, inputs, { target: seed.target, rules, fn });
  walk.output.dispose();
  return walk.inputGradients[0];
}
