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
