import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type Graph } from '@attrib/core';
import { featureAblation } from '@attrib/perturbation';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  twoInputModels,
  unpackTwoInput,
} from '@attrib/test-utils';
import {
  completeness,
  faithfulnessCorrelation,
  featureRemovalCurve,
  infidelity,
  modelParameterRandomisation,
  neuronAblationCurves,
  randomLogitCheck,
  regionPerturbation,
  sensitivityMax,
} from './index.js';

const models = twoInputModels();
const twoInput = loadModel(models.twoInput);
const packed = loadModel(models.packed);
const { image, vector, x } = models;
const target = [0, 1, 1];
// Attributions to judge: anything fixed will do (the metrics compare them with the model).
const packedAttributions = tf.tensor2d(
  Array.from({ length: 21 }, (_, i) => Math.sin(3 * i) * (i % 4)),
  [3, 7],
);
const attributions = unpackTwoInput(packedAttributions);
const imageMask = tf.tensor4d([0, 1, 1, 2], [1, 2, 2, 1], 'int32');
const vectorMask = tf.tensor2d([[2, 3, 4]], [1, 3], 'int32');
const packedMask = tf.tensor2d([[0, 1, 1, 2, 2, 3, 4]], [1, 7], 'int32');
const vectorBaseline = tf.tensor2d([[0.1, -0.2, 0.3]]);
const packedBaseline = tf.tensor2d([[0.25, 0.25, 0.25, 0.25, 0.1, -0.2, 0.3]]);
const packedPerturbations = tf.tensor2d(
  Array.from({ length: 6 * 7 }, (_, i) => 0.1 * Math.cos(i)),
  [6, 7],
);
const perturbations = unpackTwoInput(packedPerturbations);
/** The explanation both randomisation checks run: feature ablation, flattened to one row per sample. */
const flatAblation = async (model: Graph, inputs: tf.Tensor | tf.Tensor[], t: ArrayLike<number>) => {
  const result = await featureAblation(model, inputs, { target: Array.from(t) });
  const attributions: tf.Tensor | tf.Tensor[] = result.attributions;
  const parts = attributions instanceof tf.Tensor ? [attributions] : attributions;
  const flat = tf.tidy(() =>
    tf.concat(
      parts.map((p) => tf.reshape(p, [p.shape[0], -1])),
      1,
    ),
  );
  result.dispose();
  return flat;
};

type Result = object;
const cases: Array<[string, () => Promise<Result> | Result, () => Promise<Result> | Result]> = [
  [
    'featureRemovalCurve',
    () =>
      featureRemovalCurve(twoInput, [image, vector], {
        attributions,
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        perturbationsPerEval: 4,
      }),
    () =>
      featureRemovalCurve(packed, x, {
        attributions: packedAttributions,
        target,
        featureMask: packedMask,
        baselines: packedBaseline,
      }),
  ],
  [
    'regionPerturbation',
    () =>
      regionPerturbation(
        twoInput,
        { image, vector },
        {
          attributions: { image: attributions[0], vector: attributions[1] },
          target,
          featureMask: { image: imageMask, vector: vectorMask },
          noise: { low: -0.5, high: 0.7, seed: 2 },
        },
      ),
    () =>
      regionPerturbation(packed, x, {
        attributions: packedAttributions,
        target,
        featureMask: packedMask,
        noise: { low: -0.5, high: 0.7, seed: 2 },
      }),
  ],
  [
    'faithfulnessCorrelation',
    () =>
      faithfulnessCorrelation(twoInput, [image, vector], {
        attributions,
        target,
        featureMask: [imageMask, vectorMask],
        baselines: [0.25, vectorBaseline],
        subsetSize: 2,
        nRuns: 6,
        seed: 4,
      }),
    () =>
      faithfulnessCorrelation(packed, x, {
        attributions: packedAttributions,
        target,
        featureMask: packedMask,
        baselines: packedBaseline,
        subsetSize: 2,
        nRuns: 6,
        seed: 4,
      }),
  ],
  [
    'completeness',
    () =>
      completeness(twoInput, [image, vector], { attributions, target, baselines: [0.25, vectorBaseline] }),
    () => completeness(packed, x, { attributions: packedAttributions, target, baselines: packedBaseline }),
  ],
  [
    'infidelity',
    () =>
      infidelity(twoInput, [image, vector], {
        attributions,
        target,
        nPerturbSamples: 2,
        perturbations,
        normalize: true,
      }),
    () =>
      infidelity(packed, x, {
        attributions: packedAttributions,
        target,
        nPerturbSamples: 2,
        perturbations: packedPerturbations,
        normalize: true,
      }),
  ],
  [
    'neuronAblationCurves',
    () =>
      neuronAblationCurves(twoInput, {
        layer: 'relu',
        scores: [0.4, -1, 2, 0.3],
        evaluation: { inputs: [image, vector], labels: [0, 1, 1] },
        seeds: 3,
        mode: 'mean',
        reference: { image, vector },
      }),
    () =>
      neuronAblationCurves(packed, {
        layer: 'relu',
        scores: [0.4, -1, 2, 0.3],
        evaluation: { inputs: x, labels: [0, 1, 1] },
        seeds: 3,
        mode: 'mean',
        reference: x,
      }),
  ],
  [
    'modelParameterRandomisation',
    () =>
      modelParameterRandomisation(twoInput, [image, vector], {
        explain: (model, inputs) => flatAblation(model, inputs as tf.Tensor[], target),
      }),
    () =>
      modelParameterRandomisation(packed, x, {
        explain: (model, inputs) => flatAblation(model, inputs as tf.Tensor, target),
      }),
  ],
  [
    'sensitivityMax',
    () =>
      sensitivityMax(
        (inputs, { sampleIndex }) =>
          flatAblation(
            twoInput,
            inputs as tf.Tensor[],
            Array.from(sampleIndex, (i) => target[i]),
          ),
        [image, vector],
        { nPerturbSamples: 4, perturbRadius: 0.1, seed: 3, perturbationsPerEval: 3 },
      ),
    () =>
      sensitivityMax(
        (inputs, { sampleIndex }) =>
          flatAblation(
            packed,
            inputs as tf.Tensor,
            Array.from(sampleIndex, (i) => target[i]),
          ),
        x,
        { nPerturbSamples: 4, perturbRadius: 0.1, seed: 3 },
      ),
  ],
  [
    'randomLogitCheck',
    () =>
      randomLogitCheck(twoInput, [image, vector], {
        target,
        explain: (inputs, t) => flatAblation(twoInput, inputs as tf.Tensor[], t),
      }),
    () =>
      randomLogitCheck(packed, x, {
        target,
        explain: (inputs, t) => flatAblation(packed, inputs as tf.Tensor, t),
      }),
  ],
];

/** Every number of a result (tensors read, nested records walked), in a stable order. */
function numbers(value: unknown): number[] {
  if (value instanceof tf.Tensor) return Array.from(value.dataSync());
  if (typeof value === 'number') return [value];
  if (typeof value === 'boolean') return [value ? 1 : 0];
  if (ArrayBuffer.isView(value)) return Array.from(value as Float32Array);
  if (Array.isArray(value)) return value.flatMap(numbers);
  if (value && typeof value === 'object')
    return Object.keys(value)
      .sort()
      .flatMap((k) => numbers((value as Record<string, unknown>)[k]));
  return [];
}

describeWithBackends('metrics: two inputs equal the packed network', ['cpu'], () => {
  it.each(cases)('%s', async (_, onTwoInputs, onPacked) => {
    await expectNoLeaks(async () => {
      const two = await onTwoInputs();
      const one = await onPacked();
      const [a, b] = [numbers(two), numbers(one)];
      expect(a.length).toBeGreaterThan(0);
      expect(a.length).toBe(b.length);
      const [actual, expected] = [tf.tensor1d(a), tf.tensor1d(b)];
      expectTensorsClose(actual, expected, { atol: 1e-6 });
      tf.dispose([actual, expected]);
      tf.dispose(
        Object.values(two as Record<string, unknown>).filter((v) => v instanceof tf.Tensor) as tf.Tensor[],
      );
      tf.dispose(
        Object.values(one as Record<string, unknown>).filter((v) => v instanceof tf.Tensor) as tf.Tensor[],
      );
    });
  });
});
