import type * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient, type NeuronOptions } from './relu-rules-walk.js';
import type { AttributionResult, TargetOptions } from './types.js';

/**
 * Deconvolution (Zeiler & Fergus; Captum `Deconvolution`): the gradient of the target when every
 * ReLU's backward is a ReLU of the arriving gradient. Batched: one forward, one walk.
 */
export function deconvolution(
  model: Graph,
  inputs: tf.Tensor,
  options: TargetOptions = {},
): AttributionResult {
  return {
    attributions: ruleInputGradient(
      model,
      inputs,
      atEveryRelu('deconvolution'),
      { target: options.target },
      'deconvolution',
    ),
  };
}

/** Deconvolution of one neuron of a layer (Captum `NeuronDeconvolution`). */
export function neuronDeconvolution(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronOptions,
): AttributionResult {
  return {
    attributions: ruleInputGradient(
      model,
      inputs,
      atEveryRelu('deconvolution', 'neuronDeconvolution'),
      { neuron: options },
      'neuronDeconvolution',
    ),
  };
}
