export { expectTensorsClose, maxAbsDiff } from './expect-tensors-close.js';
export { expectNoLeaks, countTensorsDuring } from './expect-no-leaks.js';
export { describeWithBackends, useBackend, type BackendName } from './backends.js';
export { expectBackendsAgree, type BackendAgreement } from './cross-backend.js';
export { tinyModels, tokenAttentionModel, type TinyModelSpec } from './tiny-models.js';
export { seededRandom, randomTensor } from './random.js';
export { finiteDifferenceGradient } from './finite-difference.js';
export {
  expectGradientsMatchFiniteDifferences,
  expectSecondOrderMatchesFiniteDifferences,
  type GradientCheckOptions,
} from './gradient-check.js';
export { affineVjp } from './affine-vjp.js';
export { fixturePath, type FixtureSet } from './fixtures.js';
export { literalPathSchedule, type LiteralPathMethod } from './path-schedule.js';
export {
  literalDense,
  literalConv,
  literalRelevance,
  type LiteralLayer,
  type LiteralRule,
  type Connection,
} from './literal-lrp.js';
export {
  literalDeepLiftMlp,
  literalMlpFromSpec,
  withActivation,
  type LiteralMlp,
  type LiteralActivation,
  type LiteralDeepLiftSample,
} from './literal-deep-lift.js';
export { twoInputModels, unpackTwoInput, type MultiInputModelSpec } from './two-input.js';
export { expectTypedError } from './expect-typed-error.js';
