import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { withInputs } from './method-inputs.js';
import { neuronRules } from './neuron-gradient-objective.js';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient, type NeuronOptions } from './relu-rules-walk.js';
import { keys, type AttributionResult, type InputsOptions, type TargetOptions } from './types.js';

/**
 * Guided backpropagation (Springenberg et al.; Captum `GuidedBackprop`): the gradient of the target
 * when every ReLU passes back only positive gradient where it was open. Batched: one forward, one walk.
 */
export function guidedBackprop<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: TargetOptions = {},
): AttributionResult<PerInput<I>> {
  const fn = 'guidedBackprop';
  const o = checkOptions(fn, options, keys.target);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) =>
    ownResult({
      attributions: resolved.restore(
        ruleInputGradient(model, resolved, atEveryRelu('guidedBackprop'), { target: o.target }, fn),
      ),
    }),
  );
}

/** Guided backpropagation of one neuron of a layer (Captum `NeuronGuidedBackprop`). */
export function neuronGuidedBackprop<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronOptions & InputsOptions,
): AttributionResult<PerInput<I>> {
  const fn = 'neuronGuidedBackprop';
  const o = checkOptions(fn, options, [...keys.neuron, 'additionalInputs'], neuronRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) =>
    ownResult({
      attributions: resolved.restore(
        ruleInputGradient(model, resolved, atEveryRelu('guidedBackprop', fn), { neuron: o }, fn),
      ),
    }),
  );
}
