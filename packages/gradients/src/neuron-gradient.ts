import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { explainedGradients, withInputs } from './method-inputs.js';
import { neuronRules, neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import { keys, type AttributionResult, type InputsOptions } from './types.js';

export interface NeuronGradientOptions extends NeuronAttributionOptions, InputsOptions {}

/** NeuronGradient: `∂ neuron/∂x` for every sample and explained input, one batched backward pass. */
export async function neuronGradient<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronGradientOptions,
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'neuronGradient';
  const o = checkOptions(fn, options, [...keys.neuron, 'additionalInputs'], neuronRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const { objective } = neuronTarget(model, o, fn);
    const grads = explainedGradients(
      model,
      resolved.assemble(resolved.explained),
      resolved,
      { objective },
      fn,
    );
    return ownResult({ attributions: resolved.restore(grads) });
  });
}
