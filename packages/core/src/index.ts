import './setup.js';

export {
  AttribError,
  GraphError,
  UnknownNodeError,
  ShapeMismatchError,
  InvalidArgumentError,
  PluginError,
  ModelImportError,
  type ArgumentErrorCode,
  UnsupportedKindError,
  invalidArgument,
  shapeMismatch,
} from './errors.js';
export {
  registerKind,
  getKind,
  kindBehaviour,
  registeredKinds,
  createModule,
  type Module,
  type KindDefinition,
  type KindCategory,
  type KindBehaviour,
  type ChannelAffine,
  type KindMap,
  type LrpFamily,
  type RuleMethod,
  type Params,
  type Config,
} from './module.js';
export { builtinKinds } from './kinds.js';
export {
  Graph,
  type GraphNode,
  type GraphInput,
  type GraphInputDtype,
  type GraphSpec,
  type GraphInputs,
  type ForwardResult,
} from './graph.js';
export { GraphBuilder } from './builder.js';
export {
  loadModel,
  serializeModel,
  tensorFromJson,
  type JsonInput,
  type JsonModel,
  type JsonTensor,
  type JsonWeightRef,
  type LoadModelOptions,
  type SerializeModelOptions,
  type SerializedModel,
  type WeightEntry,
  type WeightsManifest,
} from './load-model.js';
export { type ForwardHook, type HookContext, type HookHandle } from './hooks.js';
export { withHooks } from './with-hooks.js';
export { selectTarget, targetIndices, targetOneHot, expandTarget, type Target } from './target.js';
export { selectNeuron, neuronIndex, type NeuronSelector } from './neuron.js';
export {
  gradients,
  resolveTensorRef,
  tensorRefKey,
  type TensorRef,
  type GradientOptions,
  type GradientResult,
  type ObjectiveContext,
} from './gradients.js';
export {
  reverseWalk,
  gradientRule,
  vjp,
  type BackwardRule,
  type RuleContext,
  type ReverseWalkOptions,
  type ReverseWalkResult,
} from './reverse-walk.js';
export {
  chunkRanges,
  yieldToEventLoop,
  checkProgress,
  forEachChunk,
  type ChunkLoop,
  type Progress,
  type ProgressCallback,
} from './batching.js';
export {
  resolveInputs,
  repeatRows,
  checkFiniteTensor,
  type AttributionInputs,
  type PerInput,
  type InputOptions,
  type ResolvedInputs,
  type SampleOrder,
} from './inputs.js';
export { checkOptions, suggestion, type OptionRules } from './options.js';
export { resolveBaselines, resolveBaselineDistribution, type Baseline, type Baselines } from './baselines.js';
export { completenessGap, convergenceDelta } from './delta.js';
export {
  DEFAULT_MEMORY_BUDGET,
  setMemoryBudget,
  getMemoryBudget,
  bytesPerRow,
  rowsPerPass,
} from './memory-budget.js';
export { guardEngine, guardEngineAsync } from './tape.js';
export { ownResult, type Disposable } from './result.js';
export { resolveBaseline } from './validate.js';
export { ensureTfjsExtras } from './setup.js';
export { conv2dInputGradient, type ConvPadding } from './fast-conv-gradient.js';
export { type ConformanceAdapter, type ConformanceCase } from './conformance.js';
export { streamingStats, type StreamingStats, type StreamingStatsState } from './streaming-stats.js';
export {
  seededRandom,
  randomPermutation,
  normalTensor,
  uniformTensor,
  streamSeed,
  rowStreams,
  normalRows,
  uniformRows,
  checkSeed,
  type SeededRandom,
  type RowStreams,
} from './random.js';
export {
  parseFeatureMask,
  coalitionKeepMasks,
  rowKeepMasks,
  spreadGroupValues,
  elementGroups,
  groupSums,
  type FeatureMask,
  type FeatureMaskInput,
} from './feature-mask.js';
export {
  createScorer,
  evaluateMasked,
  resolveModelInputs,
  type ForwardFunction,
  type MaskedModel,
  type MaskedEvaluationPlan,
  type Scorer,
  type ScorerOptions,
} from './masked-evaluation.js';
export { ablationReplacement, type AblationMode, type AblationSpec } from './ablation.js';
