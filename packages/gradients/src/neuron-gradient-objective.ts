import type * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  resolveTensorRef,
  selectNeuron,
  type Graph,
  type NeuronSelector,
  type ObjectiveContext,
  type TensorRef,
} from '@attrib/core';

export interface NeuronAttributionOptions {
  /** The node holding the neuron. */
  readonly layer: string;
  /** A flat index, an index tuple (NHWC, batch excluded) or a function of the activation giving [N]. */
  readonly neuron: NeuronSelector;
  /** Select from the tensor entering the node instead of its output. */
  readonly attributeToNeuronInput?: boolean;
}

export interface NeuronTarget {
  readonly ref: TensorRef;
  /** The graph value the neuron lives in. */
  readonly value: string;
  /** The neuron's value per row, for core's `gradients({ objective })`. */
  readonly objective: (context: ObjectiveContext) => tf.Tensor;
}

/** Checks layer and selector and builds the per-row neuron objective. */
export function neuronTarget(model: Graph, options: NeuronAttributionOptions, fn: string): NeuronTarget {
  if (typeof options?.layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', options?.layer);
  const { neuron } = options;
  const selectorOk =
    typeof neuron === 'number' ||
    typeof neuron === 'function' ||
    (Array.isArray(neuron) && neuron.every((i) => typeof i === 'number'));
  if (!selectorOk)
    throw invalidArgument(fn, 'neuron', 'an index, an index tuple or a function of the activation', neuron);
  const ref: TensorRef = options.attributeToNeuronInput
    ? { node: options.layer, at: 'input' }
    : options.layer;
  const value = resolveTensorRef(model, ref, fn);
  return { ref, value, objective: ({ values }) => selectNeuron(values.get(value)!, neuron, fn) };
}

/** What every neuron method's options share: a boolean flag, and `neuronSelector` as an old name. */
export const neuronRules = {
  booleans: ['attributeToNeuronInput'],
  aliases: { neuronSelector: 'neuron' },
  required: true,
};
