import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type Graph } from '@attrib/core';
import { inputXGradient } from '@attrib/gradients';
import { describeWithBackends, expectBackendsAgree, randomTensor, tinyModels } from '@attrib/test-utils';
import * as api from './index.js';

/**
 * Every public metric once on wasm, against the same call on cpu (expectBackendsAgree: leak-free on
 * both, finite, within a float32 tolerance). Seeded noise is drawn on the host, so it is the same on
 * both backends.
 */
describeWithBackends('every metric (smoke)', ['wasm'], () => {
  const mlp = loadModel(tinyModels.mlp());
  // In [−2, 2], no sample has every ReLU of fc1 off (an all-zero explanation has no rank correlation).
  const x = randomTensor([4, 3], 1, -2, 2);
  const attributions = randomTensor([4, 3], 2);
  const labels = [0, 1, 0, 1];
  // Input × gradient: it changes with the input (a ReLU net's gradient alone is piecewise constant, so
  // sensitivity would be 0) and it is not constant per sample (rank correlations would be NaN).
  const explain = async (model: Graph, inputs: tf.Tensor, target: number | number[] = 1) =>
    (await inputXGradient(model, inputs, { target })).attributions;

  const calls: Record<string, () => unknown> = {
    infidelity: () =>
      api.infidelity(mlp, x, {
        attributions,
        perturbFunc: api.gaussianPerturbation({ std: 0.1, seed: 3 }),
        nPerturbSamples: 4,
        target: 1,
      }),
    sensitivityMax: () =>
      api.sensitivityMax((inputs) => explain(mlp, inputs), x, { perturbRadius: 0.1, nPerturbSamples: 3 }),
    completeness: () => {
      const { delta } = api.completeness(mlp, x, { attributions, target: 1, baselines: 0.1 });
      return delta;
    },
    featureRemovalCurve: () => api.featureRemovalCurve(mlp, x, { attributions, target: 0 }),
    regionPerturbation: () => api.regionPerturbation(mlp, x, { attributions, target: 0, noise: { seed: 2 } }),
    faithfulnessCorrelation: () =>
      api.faithfulnessCorrelation(mlp, x, { attributions, target: 0, subsetSize: 2, nRuns: 8, seed: 1 }),
    sparseness: () => api.sparseness(attributions),
    complexity: () => api.complexity(attributions),
    modelParameterRandomisation: async () => {
      const { meanSimilarity } = await api.modelParameterRandomisation(mlp, x, { explain, seed: 1 });
      return meanSimilarity;
    },
    randomLogitCheck: async () => {
      const { similarity } = await api.randomLogitCheck(mlp, x, {
        explain: (inputs, target) => explain(mlp, inputs, Array.from(target)),
        target: labels,
        seed: 2,
      });
      return similarity;
    },
    neuronAblationCurves: async () => {
      const { cluster } = await api.neuronAblationCurves(mlp, {
        layer: 'relu1',
        scores: [4, 3, 2, 1],
        evaluation: { inputs: x, labels },
        seeds: 3,
      });
      return cluster;
    },
    neuronImportanceReport: async () =>
      JSON.parse(
        JSON.stringify(
          await api.neuronImportanceReport(
            mlp,
            'relu1',
            { all: { inputs: x, labels } },
            { methods: ['gradXAct'], seeds: 2 },
          ),
        ),
      ),
    classSummaries: () => {
      const summary = api.classSummaries([3]).update(x, labels);
      return [summary.of(0).mean(), summary.of(1).variance()];
    },
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`${name} runs leak-free and agrees with cpu`, () => expectBackendsAgree(call));
  }
});
