import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  twoInputModels,
  unpackTwoInput,
} from '@attrib/test-utils';
import {
  featureAblation,
  featurePermutation,
  kernelShap,
  layerFeatureAblation,
  lime,
  neuronFeatureAblation,
  neuronKnockout,
  occlusion,
  shapleyValueSampling,
  shapleyValues,
} from './index.js';

const models = twoInputModels();
const twoInput = loadModel(models.twoInput);
const packed = loadModel(models.packed);
const { image, vector, x } = models;
const N = 3;
// Group 2 spans both inputs (Captum: equal ids in two inputs are one feature).
const imageMask = tf.tensor4d([0, 1, 1, 2], [1, 2, 2, 1], 'int32');
const vectorMask = tf.tensor2d([[2, 3, 4]], [1, 3], 'int32');
const packedMask = tf.tensor2d([[0, 1, 1, 2, 2, 3, 4]], [1, 7], 'int32');
const vectorBaseline = tf.tensor2d([[0.1, -0.2, 0.3]]);
const packedBaseline = tf.tensor2d([[0.25, 0.25, 0.25, 0.25, 0.1, -0.2, 0.3]]);
const target = [0, 1, 1];

type Run = () => Promise<{ attributions: unknown }>;
/** Per row: the call on the two-input graph, the same call on the packed graph. */
const cases: Array<[string, Run, Run]> = [
  [
    'featureAblation',
    () =>
      featureAblation(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        perturbationsPerEval: 3,
      }),
    () => featureAblation(packed, x, { target, featureMask: packedMask, baselines: packedBaseline }),
  ],
  [
    'occlusion (non-overlapping windows = feature ablation of the windows)',
    () =>
      occlusion(
        twoInput,
        { image, vector },
        {
          target,
          slidingWindowShapes: { image: [1, 2, 1], vector: [2] },
          strides: [[1, 2, 1], [2]],
          baselines: { image: 0.25, vector: vectorBaseline },
        },
      ),
    async () => {
      const windows = tf.tensor2d([[0, 0, 1, 1, 2, 2, 3]], [1, 7], 'int32');
      const result = await featureAblation(packed, x, {
        target,
        featureMask: windows,
        baselines: packedBaseline,
      });
      windows.dispose();
      return result;
    },
  ],
  [
    'featurePermutation',
    () =>
      featurePermutation(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        seed: 3,
      }),
    () => featurePermutation(packed, x, { target, featureMask: packedMask, seed: 3 }),
  ],
  [
    'shapleyValues',
    () =>
      shapleyValues(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
      }),
    () => shapleyValues(packed, x, { target, featureMask: packedMask, baselines: packedBaseline }),
  ],
  [
    'shapleyValueSampling',
    () =>
      shapleyValueSampling(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        nSamples: 4,
        seed: 1,
      }),
    () =>
      shapleyValueSampling(packed, x, {
        target,
        featureMask: packedMask,
        baselines: packedBaseline,
        nSamples: 4,
        seed: 1,
      }),
  ],
  [
    'kernelShap',
    () =>
      kernelShap(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        nSamples: 30,
        seed: 2,
      }),
    () =>
      kernelShap(packed, x, {
        target,
        featureMask: packedMask,
        baselines: packedBaseline,
        nSamples: 30,
        seed: 2,
      }),
  ],
  [
    'lime',
    () =>
      lime(twoInput, [image, vector], {
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        nSamples: 30,
        seed: 2,
      }),
    () =>
      lime(packed, x, { target, featureMask: packedMask, baselines: packedBaseline, nSamples: 30, seed: 2 }),
  ],
  [
    'neuronFeatureAblation',
    () =>
      neuronFeatureAblation(twoInput, [image, vector], {
        layer: 'fc1',
        neuron: 2,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
      }),
    () =>
      neuronFeatureAblation(packed, x, {
        layer: 'fc1',
        neuron: 2,
        featureMask: packedMask,
        baselines: packedBaseline,
      }),
  ],
  [
    'layerFeatureAblation',
    () => layerFeatureAblation(twoInput, [image, vector], { target, layer: 'relu', layerBaselines: 0.5 }),
    () => layerFeatureAblation(packed, x, { target, layer: 'relu', layerBaselines: 0.5 }),
  ],
  [
    'layerFeatureAblation (layer input)',
    () =>
      layerFeatureAblation(twoInput, [image, vector], { target, layer: 'fc2', attributeToLayerInput: true }),
    () => layerFeatureAblation(packed, x, { target, layer: 'fc2', attributeToLayerInput: true }),
  ],
  [
    'neuronKnockout (mean over reference inputs)',
    async () => {
      const knockout = neuronKnockout(twoInput, {
        node: 'fc1',
        units: [1, 3],
        mode: 'mean',
        reference: [image, vector],
      });
      const attributions = twoInput.run([image, vector], { hooks: [knockout.hook] });
      knockout.dispose();
      return { attributions };
    },
    async () => {
      const knockout = neuronKnockout(packed, { node: 'fc1', units: [1, 3], mode: 'mean', reference: x });
      const attributions = packed.run(x, { hooks: [knockout.hook] });
      knockout.dispose();
      return { attributions };
    },
  ],
];

function parts(result: unknown): tf.Tensor[] {
  if (result instanceof tf.Tensor) return [result];
  return Array.isArray(result) ? result : Object.values(result as Record<string, tf.Tensor>);
}

describeWithBackends('two inputs equal the packed network', ['cpu'], () => {
  it.each(cases)('%s', async (_, onTwoInputs, onPacked) => {
    await expectNoLeaks(async () => {
      const two = await onTwoInputs();
      const one = await onPacked();
      const expected = unpackTwoInput(one.attributions as tf.Tensor);
      const actual = parts(two.attributions);
      expect(actual.map((t) => t.shape)).toEqual(expected.map((t) => t.shape));
      actual.forEach((a, k) => expectTensorsClose(a, expected[k], { atol: 1e-6 }));
      tf.dispose([...expected, ...actual, one.attributions as tf.Tensor]);
    });
  });

  it('returns attributions in the structure of the inputs (a record stays a record)', async () => {
    const result = await featureAblation(twoInput, { vector, image }, { target });
    expect(Object.keys(result.attributions)).toEqual(['image', 'vector']);
    expect(result.attributions.image.shape).toEqual([N, 2, 2, 1]);
    result.dispose();
    expect(result.attributions.image.isDisposed).toBe(true);
  });
});

describeWithBackends('fixed inputs and token ids', ['cpu', 'wasm'], () => {
  // x [N, 3] times a per-sample scale [N, 1] (not explained), then a linear map.
  const W = [
    [1, -2],
    [0.5, 3],
    [-1, 1],
  ];
  const scaled: Graph = new GraphBuilder({ name: 'x', shape: [null, 3] }, { name: 'scale', shape: [null, 1] })
    .node('scaled', 'mul', { inputs: ['x', 'scale'] })
    .linear('fc', { weight: tf.tensor2d(W), bias: tf.tensor1d([0.1, -0.2]) })
    .build();

  it('feature ablation with an additional fixed input (a per-sample scale)', async () => {
    const xs = tf.tensor2d([
      [1, 2, 3],
      [-1, 0.5, 2],
    ]);
    const scale = tf.tensor2d([[2], [-3]]);
    await expectNoLeaks(async () => {
      const { attributions } = await featureAblation(scaled, xs, {
        target: [1, 0],
        additionalInputs: { scale },
        perturbationsPerEval: 2,
      });
      // The model is linear in x: removing feature j removes x_j · s · W[j, t] (float64 on the host).
      const expected = [
        [1, 2, 3].map((v, j) => v * 2 * W[j][1]),
        [-1, 0.5, 2].map((v, j) => v * -3 * W[j][0]),
      ];
      const actual = attributions.arraySync() as number[][];
      expected.forEach((row, n) => row.forEach((v, j) => expect(actual[n][j]).toBeCloseTo(v, 4)));
      attributions.dispose();
    });
    tf.dispose([xs, scale]);
  });

  it('feature ablation over token ids, a removed token becoming the padding id', async () => {
    const table = Array.from({ length: 10 }, (_, v) => [Math.sin(v), Math.cos(v), v / 10]);
    const tokens = new GraphBuilder({ name: 'ids', shape: [null, 4], dtype: 'int32' })
      .node('embed', 'embedding', { params: { weight: tf.tensor2d(table) } })
      .node('pool', 'reduceMean', { config: { axes: [1] } })
      .linear('fc', { weight: tf.tensor2d([[1], [-2], [3]]) })
      .build();
    const ids = tf.tensor2d(
      [
        [3, 7, 1, 9],
        [2, 2, 5, 0],
      ],
      [2, 4],
      'int32',
    );
    await expectNoLeaks(async () => {
      const { attributions } = await featureAblation(tokens, ids, { baselines: 0 });
      // f = mean_j e(id_j) · w: removing token j changes f by (e(id_j) − e(0)) · w / 4.
      const score = (v: number) => table[v][0] - 2 * table[v][1] + 3 * table[v][2];
      const expected = [
        [3, 7, 1, 9],
        [2, 2, 5, 0],
      ].map((row) => row.map((v) => (score(v) - score(0)) / 4));
      const actual = attributions.arraySync() as number[][];
      expected.forEach((row, n) => row.forEach((v, j) => expect(actual[n][j]).toBeCloseTo(v, 5)));
      attributions.dispose();
    });
    ids.dispose();
  });
});
