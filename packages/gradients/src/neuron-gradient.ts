import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { checkInput } from './approximation-input.js';
import { neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import type { AttributionResult } from './types.js';

export type NeuronGradientOptions = NeuronAttributionOptions;

/** NeuronGradient: `∂ neuron/∂x` for every sample, one batched backward pass. */
export async function neuronGradient(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronGradientOptions,
): Promise<AttributionResult> {
  const fn = 'neuronGradient';
  const input = checkInput(model, inputs, fn);
  const { objective } = neuronTarget(model, options, fn);
  const result = gradients(model, input, { objective, fn });
  tf.dispose([result.output, result.objective]);
  return { attributions: result.inputGradients[0] };
}
