import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, expectBackendsAgree, randomTensor, tinyModels } from '@attrib/test-utils';
import * as api from './index.js';

/**
 * Every public method of the package once on wasm, against the same call on cpu (expectBackendsAgree:
 * leak-free on both, finite, within a float32 tolerance). Seeded methods draw the same coalitions on
 * both backends (host-side random numbers), so their results agree too.
 */
describeWithBackends('every method (smoke)', ['wasm'], () => {
  const cnn = loadModel(tinyModels.cnn());
  const mlp = loadModel(tinyModels.mlp());
  const x = randomTensor([3, 4, 4, 2], 21);
  const xm = randomTensor([5, 3], 22);
  const target = [0, 2, 1];
  // Quadrants of the 4×4 image, shared by both channels: 4 groups keep the coalition counts small.
  const quadrant = (p: number) => (Math.floor(p / 8) >= 1 ? 2 : 0) + (p % 4 >= 2 ? 1 : 0);
  const featureMask = tf.tensor(
    Array.from({ length: 16 }, (_, p) => quadrant(p)),
    [1, 4, 4, 1],
    'int32',
  );

  const calls: Record<string, () => unknown> = {
    featureAblation: () => api.featureAblation(cnn, x, { target, featureMask, baselines: 0.25 }),
    occlusion: () => api.occlusion(cnn, x, { target, slidingWindowShapes: [2, 2, 2], strides: [1, 1, 2] }),
    shapleyValues: () => api.shapleyValues(cnn, x, { target, featureMask }),
    shapleyValueSampling: () =>
      api.shapleyValueSampling(cnn, x, { target, featureMask, nSamples: 3, seed: 1 }),
    featurePermutation: () => api.featurePermutation(cnn, x, { target, featureMask }),
    kernelShap: () => api.kernelShap(cnn, x, { target, featureMask, nSamples: 24, seed: 2 }),
    lime: () => api.lime(cnn, x, { target, featureMask, nSamples: 24, seed: 3 }),
    neuronFeatureAblation: () =>
      api.neuronFeatureAblation(cnn, x, {
        layer: 'bn',
        neuron: [1, 3, 0],
        featureMask,
        perturbationsPerEval: 2,
      }),
    layerFeatureAblation: () => api.layerFeatureAblation(cnn, x, { layer: 'pool', target }),
    neuronKnockout: () => {
      const knockout = api.neuronKnockout(mlp, { node: 'fc1', units: [1, 2], mode: 'mean', reference: xm });
      try {
        return mlp.run(xm, { hooks: [knockout.hook] });
      } finally {
        knockout.dispose();
      }
    },
    knockoutHook: () =>
      tf.tidy(() => {
        const keep = tf.tensor2d([[1, 0, 1, 0]]);
        const replacement = tf.fill([1, 4], -0.25);
        return mlp.run(xm, { hooks: [api.knockoutHook({ node: 'fc1', keep, replacement })] });
      }),
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`${name} runs leak-free and agrees with cpu`, () => expectBackendsAgree(call));
  }
});
