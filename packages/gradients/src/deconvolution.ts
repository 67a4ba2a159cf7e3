import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { withInputs } from './method-inputs.js';
import { neuronRules } from './neuron-gradient-objective.js';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient, type NeuronOptions } from './relu-rules-walk.js';
import { keys, type AttributionResult, type InputsOptions, type TargetOptions } from './types.js';

/**
 * Deconvolution (Zeiler & Fergus; Captum `Deconvolution`): the gradient of the target when every
 * ReLU's backward is a ReLU of the arriving gradient. Batched: one forward, one walk.
 */
export function deconvolution<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: TargetOptions = {},
): AttributionResult<PerInput<I>> {
  const fn = 'deconvolution';
  const o = checkOptions(fn, options, keys.target);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) =>
    ownResult({
      attributions: resolved.restore(
        ruleInputGradient(model, resolved, atEveryRelu('deconvolution'), { target: o.target }, fn),
      ),
    }),
  );
}

/** Deconvolution of one neuron of a layer (Captum `NeuronDeconvolution`). */
export function neuronDeconvolution<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronOptions & InputsOptions,
): AttributionResult<PerInput<I>> {
  const fn = 'neuronDeconvolution';
  const o = checkOptions(fn, options, [...keys.neuron, 'additionalInputs'], neuronRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) =>
    ownResult({
      attributions: resolved.restore(
        ruleInputGradient(model, resolved, atEveryRelu('deconvolution', fn), { neuron: o }, fn),
      ),
    }),
  );
}
