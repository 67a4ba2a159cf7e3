export {
  knockoutHook,
  neuronKnockout,
  type KnockoutHookOptions,
  type NeuronKnockoutOptions,
  type NeuronKnockout,
} from './knockout.js';
export { featureAblation, type FeatureAblationOptions } from './feature-ablation.js';
export { occlusion, type OcclusionOptions, type PerAxis } from './occlusion.js';
export { shapleyValues, type ShapleyValuesOptions } from './shapley-values.js';
export { shapleyValueSampling, type ShapleyValueSamplingOptions } from './shapley-value-sampling.js';
export { neuronFeatureAblation, type NeuronFeatureAblationOptions } from './neuron-feature-ablation.js';
export { layerFeatureAblation, type LayerFeatureAblationOptions } from './layer-feature-ablation.js';
export { type CoalitionOptions } from './coalitions.js';
export { type AttributionResult, type PerturbationOptions } from './common.js';
export {
  type MaskedModel as Model,
  type ForwardFunction,
  type ForwardResult as ObjectiveContext,
} from '@attrib/core';
export { featurePermutation, type FeaturePermutationOptions } from './feature-permutation.js';
export { kernelShap, type KernelShapOptions } from './kernel-shap.js';
export { lime, type LimeOptions } from './lime.js';
export { type LinearFitOptions } from './linear-fit.js';
