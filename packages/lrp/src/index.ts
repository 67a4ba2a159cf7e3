export { lrp, type LrpOptions, type LrpResult, type Conservation, type OutputSeed } from './lrp.js';
export { basicRule, type BasicRuleConfig, type RulePass, type ParamModifier } from './basic-rule.js';
export { stabilize, type Stabilizer } from './stabilizer.js';
export { epsilon, type EpsilonOptions } from './rules/epsilon.js';
export { zPlus } from './rules/z-plus.js';
export { alphaBeta, type AlphaBetaOptions } from './rules/alpha-beta.js';
export { gamma, type GammaOptions } from './rules/gamma.js';
export { zBox, type ZBoxOptions } from './rules/z-box.js';
export { flat } from './rules/flat.js';
export { wSquare } from './rules/w-square.js';
export { pass } from './rules/pass.js';
export { norm } from './rules/norm.js';
export { guidedBackpropRelu, deconvnetRelu } from './rules/relu-rules.js';
export { type StabilizedOptions, type ZeroParams } from './rules/common.js';
export {
  layerMap,
  nameMap,
  firstLayer,
  mixed,
  kinds,
  category,
  family,
  reluLike,
  type Composite,
  type CompositeContext,
  type NodeMatcher,
} from './composite.js';
export {
  epsilonPlus,
  epsilonAlpha2Beta1,
  epsilonPlusFlat,
  epsilonAlpha2Beta1Flat,
  epsilonGammaBox,
  guidedBackprop,
  deconvnet,
  excitationBackprop,
  captumDefault,
  type PresetOptions,
  type GammaBoxOptions,
} from './presets.js';
export { canonize, type Canonizer, type Canonized } from './canonizer.js';
export { mergeBatchNorm } from './merge-batchnorm.js';
export { residualSum } from './residual-sum.js';
export { resnetCanonizers } from './canonizer-presets.js';
