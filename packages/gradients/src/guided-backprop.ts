import type * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient, type NeuronOptions } from './relu-rules-walk.js';
import type { AttributionResult, TargetOptions } from './types.js';

/**
 * Guided backpropagation (Springenberg et al.; Captum `GuidedBackprop`): the gradient of the target
 * when every ReLU passes back only positive gradient where it was open. Batched: one forward, one walk.
 */
export function guidedBackprop(
  model: Graph,
  inputs: tf.Tensor,
  options: TargetOptions = {},
): AttributionResult {
  return {
    attributions: ruleInputGradient(
      model,
      inputs,
      atEveryRelu('guidedBackprop'),
      { target: options.target },
      'guidedBackprop',
    ),
  };
}

/** Guided backpropagation of one neuron of a layer (Captum `NeuronGuidedBackprop`). */
export function neuronGuidedBackprop(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronOptions,
): AttributionResult {
  return {
    attributions: ruleInputGradient(
      model,
      inputs,
      atEveryRelu('guidedBackprop', 'neuronGuidedBackprop'),
      { neuron: options },
      'neuronGuidedBackprop',
    ),
  };
}
