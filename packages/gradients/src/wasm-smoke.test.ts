import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
  useBackend,
} from '@attrib/test-utils';
import { loadModel } from '@attrib/core';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';
import { integratedGradients } from './integrated-gradients.js';
import { noiseTunnel } from './noise-tunnel.js';
import { gradientShap } from './gradient-shap.js';
import { layerConductance } from './layer-conductance.js';
import { layerIntegratedGradients } from './layer-integrated-gradients.js';
import { internalInfluence } from './internal-influence.js';
import { layerGradientXActivation } from './layer-gradient.js';
import { neuronConductance } from './neuron-conductance.js';
import { neuronIntegratedGradients } from './neuron-integrated-gradients.js';

type Call = (x: tf.Tensor, distribution: tf.Tensor) => Promise<{ attributions: tf.Tensor }>;

/** Every method once, on a tiny CNN. */
function calls(): Record<string, Call> {
  const model = loadModel(tinyModels.cnn());
  const target = [2, 1];
  return {
    saliency: (x) => saliency(model, x, { target }),
    inputXGradient: (x) => inputXGradient(model, x, { target }),
    integratedGradients: (x) => integratedGradients(model, x, { target, nSteps: 6, internalBatchSize: 5 }),
    noiseTunnel: (x) => noiseTunnel(saliency, { nSamples: 3, stdevs: 0.2, seed: 4 })(model, x, { target }),
    gradientShap: (x, distribution) => gradientShap(model, x, { baselines: distribution, target, seed: 2 }),
    layerGradientXActivation: (x) => layerGradientXActivation(model, x, { layer: 'bn', target }),
    layerConductance: (x) =>
      layerConductance(model, x, { layer: 'bn', target, nSteps: 6, internalBatchSize: 4 }),
    layerIntegratedGradients: (x) => layerIntegratedGradients(model, x, { layer: 'bn', target, nSteps: 6 }),
    internalInfluence: (x) => internalInfluence(model, x, { layer: 'pool', target, nSteps: 6 }),
    neuronIntegratedGradients: (x) =>
      neuronIntegratedGradients(model, x, { layer: 'bn', neuron: [1, 2, 0], nSteps: 6 }),
    neuronConductance: (x) =>
      neuronConductance(model, x, { layer: 'bn', neuron: [1, 2, 0], target, nSteps: 6 }),
  };
}

/** Runs `call` on tensors made on the active backend, and returns the attributions as host data. */
async function runHere(call: Call, checkLeaks: boolean): Promise<{ data: Float32Array; shape: number[] }> {
  const x = randomTensor([2, 4, 4, 2], 81);
  const distribution = randomTensor([3, 4, 4, 2], 82, -0.3, 0.3);
  try {
    if (checkLeaks) await expectNoLeaks(() => call(x, distribution));
    const { attributions } = await call(x, distribution);
    const result = { data: Float32Array.from(attributions.dataSync()), shape: attributions.shape };
    attributions.dispose();
    return result;
  } finally {
    tf.dispose([x, distribution]);
  }
}

describeWithBackends('gradient and path methods (smoke)', ['wasm'], (backend) => {
  for (const [name, call] of Object.entries(calls())) {
    it(`${name} runs leak-free and agrees with cpu`, async () => {
      await useBackend(backend);
      const here = await runHere(call, true);
      await useBackend('cpu');
      try {
        const reference = await runHere(call, false);
        expect(here.shape).toEqual(reference.shape);
        expectTensorsClose(here.data, reference.data, { atol: 1e-4, rtol: 1e-3 });
      } finally {
        await useBackend(backend);
      }
    });
  }
});
