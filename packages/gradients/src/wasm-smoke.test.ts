import { loadModel } from '@attrib/core';
import { describeWithBackends, expectBackendsAgree, randomTensor, tinyModels } from '@attrib/test-utils';
import * as api from './index.js';

/**
 * Every public method of the package once on wasm, against the same call on cpu: leak-free on both,
 * finite, and within a float32 tolerance of cpu (summation order differs between the backends). The
 * exactness tests run on cpu; this is what shows each method also works where applications run it.
 */
describeWithBackends('every method (smoke)', ['wasm'], () => {
  const cnn = loadModel(tinyModels.cnn());
  const mlp = loadModel(tinyModels.mlp());
  const x = randomTensor([2, 4, 4, 2], 81);
  const b = randomTensor([2, 4, 4, 2], 83, -0.2, 0.2);
  const distribution = randomTensor([3, 4, 4, 2], 82, -0.3, 0.3);
  const xm = randomTensor([6, 3], 84, -2, 2);
  const target = [2, 1];
  // A bn unit that is the maximum of its pool window for both samples (others pass no gradient).
  const neuron = [1, 3, 0];

  const calls: Record<string, () => unknown> = {
    saliency: () => api.saliency(cnn, x, { target }),
    inputXGradient: () => api.inputXGradient(cnn, x, { target }),
    integratedGradients: () =>
      api.integratedGradients(cnn, x, { target, baselines: b, nSteps: 6, internalBatchSize: 5 }),
    noiseTunnel: () =>
      api.noiseTunnel(api.saliency, { nSamples: 3, stdevs: 0.2, seed: 4 })(cnn, x, { target }),
    gradientShap: () => api.gradientShap(cnn, x, { baselines: distribution, target, seed: 2 }),
    guidedBackprop: () => api.guidedBackprop(cnn, x, { target }),
    neuronGuidedBackprop: () => api.neuronGuidedBackprop(cnn, x, { layer: 'bn', neuron }),
    deconvolution: () => api.deconvolution(cnn, x, { target }),
    neuronDeconvolution: () => api.neuronDeconvolution(cnn, x, { layer: 'bn', neuron }),
    deepLift: () => api.deepLift(cnn, x, { target, baselines: b, returnConvergenceDelta: true }),
    layerDeepLift: () => api.layerDeepLift(cnn, x, { layer: 'bn', target, baselines: b }),
    neuronDeepLift: () => api.neuronDeepLift(cnn, x, { layer: 'bn', neuron, baselines: b }),
    deepLiftShap: () => api.deepLiftShap(cnn, x, { target, baselines: distribution }),
    layerGradCam: () => api.layerGradCam(cnn, x, { layer: 'conv', target }),
    guidedGradCam: () => api.guidedGradCam(cnn, x, { layer: 'conv', target }),
    layerActivation: () => api.layerActivation(cnn, x, { layer: 'bn' }),
    layerGradient: () => api.layerGradient(cnn, x, { layer: 'bn', target }),
    layerGradientXActivation: () => api.layerGradientXActivation(cnn, x, { layer: 'bn', target }),
    layerConductance: () =>
      api.layerConductance(cnn, x, { layer: 'bn', target, nSteps: 6, internalBatchSize: 4 }),
    layerIntegratedGradients: () => api.layerIntegratedGradients(cnn, x, { layer: 'bn', target, nSteps: 6 }),
    internalInfluence: () => api.internalInfluence(cnn, x, { layer: 'pool', target, nSteps: 6 }),
    neuronGradient: () => api.neuronGradient(cnn, x, { layer: 'bn', neuron }),
    neuronIntegratedGradients: () =>
      api.neuronIntegratedGradients(cnn, x, { layer: 'bn', neuron, nSteps: 6 }),
    neuronConductance: () => api.neuronConductance(cnn, x, { layer: 'bn', neuron, target, nSteps: 6 }),
    clusterNeuronImportance: async () => {
      const { a, b: second } = await api.clusterNeuronImportance(mlp, {
        layer: 'fc1',
        clusters: { a: xm, b: xm },
        target: [0, 1, 0, 1, 1, 0],
        batchSize: 4,
      });
      const merged = api.mergeClusterImportance(a, second);
      return [merged.mean, merged.meanAbs, merged.meanGradXAct, merged.count];
    },
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`${name} runs leak-free and agrees with cpu`, () => expectBackendsAgree(call));
  }
});
