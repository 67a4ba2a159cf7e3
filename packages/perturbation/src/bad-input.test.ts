import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, expectTypedError, tinyModels } from '@attrib/test-utils';
import {
  featureAblation,
  featurePermutation,
  kernelShap,
  knockoutHook,
  layerFeatureAblation,
  lime,
  neuronFeatureAblation,
  neuronKnockout,
  occlusion,
  shapleyValueSampling,
  shapleyValues,
} from './index.js';

const model = loadModel(tinyModels.mlp());
const ones = tf.ones([1, 4]);
type Options = Record<string, unknown>;
/** A method as the table calls it: (model, inputs, options). */
type Call = (model: unknown, inputs: unknown, options: Options) => Promise<unknown>;

/** Every public input-space method with options that make a valid call on the mlp (x [N, 3], 2 outputs). */
const methods: Array<[string, Call, Options]> = [
  ['featureAblation', featureAblation as Call, { target: 0 }],
  ['occlusion', occlusion as unknown as Call, { target: 0, slidingWindowShapes: [2] }],
  ['featurePermutation', featurePermutation as Call, { target: 0 }],
  ['shapleyValues', shapleyValues as Call, { target: 0 }],
  ['shapleyValueSampling', shapleyValueSampling as Call, { target: 0, nSamples: 2 }],
  ['kernelShap', kernelShap as Call, { target: 0, nSamples: 6 }],
  ['lime', lime as Call, { target: 0, nSamples: 6 }],
  ['neuronFeatureAblation', neuronFeatureAblation as unknown as Call, { layer: 'fc1', neuron: 1 }],
  ['layerFeatureAblation', layerFeatureAblation as unknown as Call, { target: 0, layer: 'fc1' }],
];

/** [case, argument the error must name, (x, disposed) → [model, inputs, extra options]]. */
type Variant = [string, string, (x: tf.Tensor, disposed: tf.Tensor) => [unknown, unknown, Options]];
const common: Variant[] = [
  ['null inputs', 'inputs', () => [model, null, {}]],
  ['disposed inputs', 'inputs', (_, disposed) => [model, disposed, {}]],
  ['an empty batch', 'inputs', () => [model, tf.zeros([0, 3]), {}]],
  ['NaN inputs', 'inputs', () => [model, tf.tensor2d([[1, NaN, 0]]), {}]],
  ['a string as inputs', 'inputs', () => [model, 'x', {}]],
  ['a model that is not one', 'model', (x) => [{ forward: 1 }, x, {}]],
  ['a misspelled option', 'options', (x) => [model, x, { perturbationsPerEvl: 2 }]],
  ['a fractional target', 'target', (x) => [model, x, { target: 0.5 }]],
];
const masked: Variant[] = [
  ['NaN in featureMask', 'featureMask', (x) => [model, x, { featureMask: tf.tensor1d([0, NaN, 1]) }]],
  ['a disposed featureMask', 'featureMask', (x, disposed) => [model, x, { featureMask: disposed }]],
  ['a string featureMask', 'featureMask', (x) => [model, x, { featureMask: 'pixels' }]],
];
const baselined: Variant[] = [
  ['NaN baselines', 'baselines', (x) => [model, x, { baselines: tf.tensor1d([0, NaN, 0]) }]],
  ['∞ baselines', 'baselines', (x) => [model, x, { baselines: Infinity }]],
  ['disposed baselines', 'baselines', (x, disposed) => [model, x, { baselines: disposed }]],
];
const specific: Record<string, Variant[]> = {
  featureAblation: [...masked, ...baselined],
  occlusion: [
    ...baselined,
    ['NaN window sizes', 'slidingWindowShapes', (x) => [model, x, { slidingWindowShapes: [NaN] }]],
    ['no window sizes', 'slidingWindowShapes', (x) => [model, x, { slidingWindowShapes: undefined }]],
    ['NaN strides', 'strides', (x) => [model, x, { strides: [NaN] }]],
  ],
  featurePermutation: [...masked, ['a NaN seed', 'seed', (x) => [model, x, { seed: NaN }]]],
  shapleyValues: [...masked, ...baselined],
  shapleyValueSampling: [
    ...masked,
    ...baselined,
    ['NaN nSamples', 'nSamples', (x) => [model, x, { nSamples: NaN }]],
  ],
  kernelShap: [...masked, ...baselined, ['NaN nSamples', 'nSamples', (x) => [model, x, { nSamples: NaN }]]],
  lime: [
    ...masked,
    ...baselined,
    ['NaN kernelWidth', 'kernelWidth', (x) => [model, x, { kernelWidth: NaN }]],
    [
      'a NaN lasso alpha',
      'interpretableModel.alpha',
      (x) => [model, x, { interpretableModel: { penalty: 'l1', alpha: NaN } }],
    ],
    [
      'an unknown penalty',
      'interpretableModel.penalty',
      (x) => [model, x, { interpretableModel: { penalty: 'l3' } }],
    ],
    [
      'a misspelled fit option',
      'interpretableModel',
      (x) => [model, x, { interpretableModel: { alpah: 0.1 } }],
    ],
    // Captum's name for the kernel; here `kernelWidth`: silently ignored before.
    ['similarityFunc (not an option)', 'options', (x) => [model, x, { similarityFunc: () => 1 }]],
  ],
  neuronFeatureAblation: [
    ...masked,
    ...baselined,
    ['an unknown layer', 'fc9', (x) => [model, x, { layer: 'fc9' }]],
    ['a neuron out of range', 'neuron', (x) => [model, x, { neuron: 7 }]],
    [
      "attributeToNeuronInput 'false'",
      'attributeToNeuronInput',
      (x) => [model, x, { attributeToNeuronInput: 'false' }],
    ],
  ],
  layerFeatureAblation: [
    ['NaN layerBaselines', 'layerBaselines', (x) => [model, x, { layerBaselines: NaN }]],
    ['NaN in layerMask', 'layerMask', (x) => [model, x, { layerMask: tf.tensor1d([0, 1, NaN, 1]) }]],
    [
      "attributeToLayerInput 'false'",
      'attributeToLayerInput',
      (x) => [model, x, { attributeToLayerInput: 'false' }],
    ],
    ['a forward function as model', 'model', (x) => [(t: tf.Tensor) => t, x, {}]],
  ],
};

const table = methods.flatMap(([name, call, valid]) =>
  [...common, ...(specific[name] ?? [])].map(
    ([label, argument, make]) => [name, label, argument, call, valid, make] as const,
  ),
);

describeWithBackends('perturbation: bad input', ['cpu'], () => {
  it.each(table)('%s: %s → a typed error naming %s', async (name, _, argument, call, valid, make) => {
    const x = tf.tensor2d([
      [0.5, -1, 2],
      [1, 0, -0.5],
    ]);
    const disposed = tf.ones([2, 3]);
    disposed.dispose();
    const [m, inputs, extra] = make(x, disposed);
    const made = [inputs, ...Object.values(extra)].filter(
      (v) => v instanceof tf.Tensor && v !== x && v !== disposed,
    );
    await expectTypedError(name, argument, () => call(m, inputs, { ...valid, ...extra }));
    tf.dispose([x, ...(made as tf.Tensor[])]);
  });

  it('says "did you mean" for a misspelled option', async () => {
    const x = tf.ones([2, 3]);
    await expect(featureAblation(model, x, { target: 0, baseline: 0 } as Options)).rejects.toThrow(
      /unknown key 'baseline'; did you mean 'baselines'\?/,
    );
    x.dispose();
  });

  it.each([
    ['neuronKnockout', 'units', () => neuronKnockout(model, { node: 'fc1', units: [NaN] })],
    [
      'neuronKnockout',
      'value',
      () => neuronKnockout(model, { node: 'fc1', units: [0], mode: 'value', value: NaN }),
    ],
    ['neuronKnockout', 'reference', () => neuronKnockout(model, { node: 'fc1', units: [0], mode: 'mean' })],
    [
      'neuronKnockout',
      'options',
      () => neuronKnockout(model, { node: 'fc1', units: [0], mod: 'mean' } as never),
    ],
    ['neuronKnockout', 'graph', () => neuronKnockout(null as never, { node: 'fc1', units: [0] })],
    ['knockoutHook', 'keep', () => knockoutHook({ node: 'fc1', keep: null as never })],
    ['knockoutHook', 'options', () => knockoutHook({ node: 'fc1', keep: ones, replace: 0 } as never)],
  ])('%s refuses bad %s', async (fn, argument, run) => {
    await expectTypedError(fn, argument, async () => run());
  });
});
