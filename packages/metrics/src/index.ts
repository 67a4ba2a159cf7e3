export {
  infidelity,
  gaussianPerturbation,
  type InfidelityOptions,
  type PerturbFunction,
} from './infidelity.js';
export { sensitivityMax, type SensitivityMaxOptions, type ExplanationFunction } from './sensitivity.js';
export { completeness, type CompletenessOptions, type CompletenessResult } from './completeness.js';
export {
  featureRemovalCurve,
  type FeatureRemovalOptions,
  type FeatureRemovalResult,
} from './feature-removal.js';
export { regionPerturbation, type RegionPerturbationOptions } from './region-perturbation.js';
export { faithfulnessCorrelation, type FaithfulnessCorrelationOptions } from './faithfulness-correlation.js';
export { patchMask } from './feature-groups.js';
export { sparseness, complexity } from './sparseness.js';
export {
  modelParameterRandomisation,
  type ParameterRandomisationOptions,
  type ParameterRandomisationResult,
  type ModelExplanation,
} from './model-randomisation.js';
export { randomLogitCheck, type RandomLogitOptions } from './random-logit.js';
export {
  neuronAblationCurves,
  ablationMetrics,
  type AblationMetric,
  type LabelledInputs,
  type NeuronAblationOptions,
  type NeuronAblationResult,
} from './neuron-ablation.js';
export { type CurveSet } from './curve-summary.js';
export {
  neuronImportanceReport,
  builtinScorers,
  type BuiltinScorer,
  type NeuronScorer,
  type NeuronImportanceReportOptions,
  type NeuronImportanceReport,
  type MethodReport,
} from './neuron-importance-report.js';
export {
  DIAGNOSIS_ALPHA,
  type ClusterDiagnosis,
  type ScorerDiagnosis,
  type UnitEvidence,
  type SingleAblation,
} from './diagnosis.js';
export { classSummaries, type ClassSummaries, type ClassSummariesState } from './class-summaries.js';
export { spearman, pearson, averageRanks } from './statistics.js';
