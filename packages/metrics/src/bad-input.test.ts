import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, expectTypedError, tinyModels } from '@attrib/test-utils';
import {
  classSummaries,
  completeness,
  complexity,
  faithfulnessCorrelation,
  featureRemovalCurve,
  infidelity,
  modelParameterRandomisation,
  neuronAblationCurves,
  neuronImportanceReport,
  patchMask,
  pearson,
  randomLogitCheck,
  regionPerturbation,
  sensitivityMax,
  sparseness,
  spearman,
} from './index.js';

const model = loadModel(tinyModels.mlp());
/** Tensors the cases read; made once, so a case's tensor count only sees what the call makes. */
const x = tf.tensor2d([
  [0.5, -1, 2],
  [1, 0, -0.5],
]);
const attributions = tf.tensor2d([
  [0.1, 0.2, -0.3],
  [0.4, -0.1, 0.2],
]);
const disposed = tf.ones([2, 3]);
disposed.dispose();
const nanRow = tf.tensor2d([
  [1, NaN, 0],
  [0, 0, 0],
]);
const empty = tf.zeros([0, 3]);
const nanMask = tf.tensor1d([0, NaN, 1]);
const perturbations = tf.zeros([4, 3]);
const explainModel = (_: unknown, inputs: unknown) => tf.zerosLike(inputs as tf.Tensor);
const explainTarget = (inputs: unknown) => tf.zerosLike(inputs as tf.Tensor);

type Options = Record<string, unknown>;
type Call = (model: unknown, inputs: unknown, options: Options) => unknown;
const asCall = (f: unknown) => f as Call;

/** Every model metric with options that make a valid call on the mlp (x [2, 3], 2 outputs). */
const metrics: Array<[string, Call, Options, readonly string[]]> = [
  [
    'featureRemovalCurve',
    asCall(featureRemovalCurve),
    { attributions, target: 0 },
    ['baselines', 'featureMask'],
  ],
  ['regionPerturbation', asCall(regionPerturbation), { attributions, target: 0 }, ['featureMask']],
  [
    'faithfulnessCorrelation',
    asCall(faithfulnessCorrelation),
    { attributions, target: 0, subsetSize: 1, nRuns: 3 },
    ['baselines', 'featureMask'],
  ],
  ['completeness', asCall(completeness), { attributions, target: 0 }, ['baselines']],
  ['infidelity', asCall(infidelity), { attributions, target: 0, nPerturbSamples: 2, perturbations }, []],
  ['modelParameterRandomisation', asCall(modelParameterRandomisation), { explain: explainModel }, []],
  ['randomLogitCheck', asCall(randomLogitCheck), { explain: explainTarget, target: 0 }, []],
];

/** [case, argument the error names, [model, inputs, extra options]]. */
type Variant = [string, string, () => [unknown, unknown, Options]];
const common: Variant[] = [
  ['null inputs', 'inputs', () => [model, null, {}]],
  ['disposed inputs', 'inputs', () => [model, disposed, {}]],
  ['an empty batch', 'inputs', () => [model, empty, {}]],
  ['NaN inputs', 'inputs', () => [model, nanRow, {}]],
  ['a string as inputs', 'inputs', () => [model, 'x', {}]],
  ['a model that is not one', 'model', () => [{ forward: 1 }, x, {}]],
  ['a misspelled option', 'options', () => [model, x, { targt: 1 }]],
];
const byOption: Record<string, Variant[]> = {
  baselines: [
    // Gave an all-NaN curve before; featureAblation refused it: now every metric does.
    ['NaN baselines', 'baselines', () => [model, x, { baselines: NaN }]],
    ['NaN in a baseline tensor', 'baselines', () => [model, x, { baselines: tf.tensor1d([0, NaN, 0]) }]],
  ],
  featureMask: [['NaN in featureMask', 'featureMask', () => [model, x, { featureMask: nanMask }]]],
};
const withAttributions: Variant[] = [
  ['NaN attributions', 'attributions', () => [model, x, { attributions: nanRow }]],
  ['disposed attributions', 'attributions', () => [model, x, { attributions: disposed }]],
  ['attributions of the wrong shape', 'attributions', () => [model, x, { attributions: empty }]],
];

const table = metrics.flatMap(([name, call, valid, options]) =>
  [
    ...common,
    ...('attributions' in valid ? withAttributions : []),
    ...options.flatMap((option) => byOption[option]),
  ].map(([label, argument, make]) => [name, label, argument, call, valid, make] as const),
);

describeWithBackends('metrics: bad input', ['cpu'], () => {
  afterAll(() => tf.dispose([x, attributions, nanRow, empty, nanMask, perturbations]));

  it.each(table)('%s: %s → a typed error naming %s', async (name, _, argument, call, valid, make) => {
    const [m, inputs, extra] = make();
    const made = Object.values(extra).filter((v) => v instanceof tf.Tensor && v !== nanRow && v !== disposed);
    // Tensors the case itself made are counted before the call.
    await expectTypedError(name, argument, () => call(m, inputs, { ...valid, ...extra }));
    tf.dispose(made as tf.Tensor[]);
  });

  const labelled = (inputs: unknown) => ({ inputs, labels: [0, 1] });
  it.each([
    ['sensitivityMax', 'inputs', () => sensitivityMax(explainTarget as never, disposed)],
    ['sensitivityMax', 'inputs', () => sensitivityMax(explainTarget as never, nanRow)],
    ['sensitivityMax', 'inputs', () => sensitivityMax(explainTarget as never, empty)],
    ['sensitivityMax', 'inputs', () => sensitivityMax(explainTarget as never, null as never)],
    ['sensitivityMax', 'explain', () => sensitivityMax('saliency' as never, x)],
    [
      'sensitivityMax',
      'options',
      () => sensitivityMax(explainTarget as never, x, { nPerturbSample: 3 } as never),
    ],
    [
      'sensitivityMax',
      'perturbRadius',
      () => sensitivityMax(explainTarget as never, x, { perturbRadius: NaN }),
    ],
    ['sparseness', 'attributions', () => sparseness(null as never)],
    ['sparseness', 'attributions', () => sparseness(disposed)],
    ['sparseness', 'attributions', () => sparseness(nanRow)],
    ['complexity', 'attributions', () => complexity('x' as never)],
    ['complexity', 'attributions', () => complexity(nanRow)],
    [
      'neuronAblationCurves',
      'evaluation.inputs',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, 2, 3, 4],
          evaluation: labelled(nanRow) as never,
        }),
    ],
    [
      'neuronAblationCurves',
      'evaluation.inputs',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, 2, 3, 4],
          evaluation: labelled(disposed) as never,
        }),
    ],
    [
      'neuronAblationCurves',
      'inputs',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, 2, 3, 4],
          evaluation: labelled(empty) as never,
        }),
    ],
    [
      'neuronAblationCurves',
      'scores',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, NaN, 3, 4],
          evaluation: labelled(x) as never,
        }),
    ],
    [
      'neuronAblationCurves',
      'value',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, 2, 3, 4],
          evaluation: labelled(x) as never,
          mode: 'value',
          value: NaN,
        }),
    ],
    [
      'neuronAblationCurves',
      'options',
      () =>
        neuronAblationCurves(model, {
          layer: 'fc1',
          scores: [1, 2, 3, 4],
          evaluation: labelled(x) as never,
          seed: 3,
        } as never),
    ],
    [
      'neuronImportanceReport',
      'options',
      () => neuronImportanceReport(model, 'fc1', {}, { holdOut: 0.5 } as never),
    ],
    ['neuronImportanceReport', 'clusters', () => neuronImportanceReport(model, 'fc1', null as never)],
    ['neuronImportanceReport', 'layer', () => neuronImportanceReport(model, null as never, {})],
    ['classSummaries.update', 'batch', () => classSummaries([3]).update(nanRow, [0, 1])],
    ['classSummaries.update', 'batch', () => classSummaries([3]).update(disposed, [0, 1])],
    ['classSummaries', 'shape', () => classSummaries([NaN])],
    ['patchMask', 'patch', () => patchMask(4, 4, NaN)],
    ['spearman', 'a', () => spearman([1, NaN], [1, 2])],
    ['pearson', 'b', () => pearson([1, 2], [1])],
  ])('%s refuses bad %s', async (fn, argument, run) => {
    await expectTypedError(fn, argument, run);
  });
});
