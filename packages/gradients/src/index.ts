export {
  clusterNeuronImportance,
  mergeClusterImportance,
  type ClusterImportance,
  type ClusterImportanceOptions,
} from './cluster-importance.js';
export { type ClusterSource, type ClusterBatchInput, type Clusters } from './cluster-sources.js';
export { guidedBackprop, neuronGuidedBackprop } from './guided-backprop.js';
export { deconvolution, neuronDeconvolution } from './deconvolution.js';
export { type NeuronOptions } from './relu-rules-walk.js';
export { guidedReluRule, deconvolutionReluRule, atEveryRelu } from './relu-rules.js';
export { deepLift, type DeepLiftOptions } from './deep-lift.js';
export { layerDeepLift, type LayerDeepLiftOptions } from './deep-lift-layer.js';
export { neuronDeepLift, type NeuronDeepLiftOptions } from './deep-lift-neuron.js';
export { deepLiftShap, type DeepLiftShapOptions } from './deep-lift-shap.js';
export { deepLiftRules } from './deep-lift-rules.js';
export { layerGradCam, type LayerGradCamOptions } from './grad-cam.js';
export { guidedGradCam, type GuidedGradCamOptions } from './guided-grad-cam.js';
export { saliency, type SaliencyOptions } from './saliency.js';
export { inputXGradient, type InputXGradientOptions } from './input-x-gradient.js';
export {
  integratedGradients,
  type IntegratedGradientsOptions,
  type PathOptions,
  type ApproximationMethodName,
} from './integrated-gradients.js';
export {
  approximation,
  gaussLegendre,
  MAX_STEPS,
  type Approximation,
  type ApproximationMethod,
} from './approximation.js';
export { walkPath, pathPoints, sumSteps, type PathWalk, type PathChunk } from './approximation-path.js';
export {
  noiseTunnel,
  type NoiseTunnelOptions,
  type NoiseTunnelType,
  type NoiseTunnelResult,
  type AttributionMethod,
  type Attributions,
  type MethodResult,
} from './noise-tunnel.js';
export { gradientShap, type GradientShapOptions } from './gradient-shap.js';
export { layerActivation, type LayerActivationOptions } from './layer-activation.js';
export { layerGradient, layerGradientXActivation, type LayerGradientOptions } from './layer-gradient.js';
export { layerConductance, type LayerConductanceOptions } from './layer-conductance.js';
export {
  layerIntegratedGradients,
  type LayerIntegratedGradientsOptions,
} from './layer-integrated-gradients.js';
export { internalInfluence, type InternalInfluenceOptions } from './internal-influence.js';
export { neuronGradient, type NeuronGradientOptions } from './neuron-gradient.js';
export {
  neuronIntegratedGradients,
  type NeuronIntegratedGradientsOptions,
} from './neuron-integrated-gradients.js';
export { neuronConductance, type NeuronConductanceOptions } from './neuron-conductance.js';
export { type NeuronAttributionOptions } from './neuron-gradient-objective.js';
export {
  type AttributionResult,
  type Baselines,
  type LayerSelection,
  type PerLayer,
  type LayerAttributionResult,
  type BatchingOptions,
  type InputsOptions,
  type TargetOptions,
} from './types.js';
