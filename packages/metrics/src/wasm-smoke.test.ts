import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, randomTensor, tinyModels } from '@attrib/test-utils';
import { featureRemovalCurve } from './feature-removal.js';
import { infidelity } from './infidelity.js';
import { neuronAblationCurves } from './neuron-ablation.js';

describeWithBackends('metrics smoke', ['wasm'], () => {
  it('runs infidelity, a deletion curve and ablation curves without leaks', async () => {
    const model = loadModel(tinyModels.mlp());
    const x = randomTensor([3, 3], 1);
    const attributions = randomTensor([3, 3], 2);
    const perturbations = randomTensor([6, 3], 3, -0.2, 0.2);
    await expectNoLeaks(async () => {
      const { infidelity: value } = await infidelity(model, x, {
        attributions,
        perturbations,
        nPerturbSamples: 2,
        target: 1,
        normalize: true,
      });
      expect(value.shape).toEqual([3]);
      const curve = await featureRemovalCurve(model, x, { attributions, target: 0 });
      expect(curve.curve.shape).toEqual([3, 4]);
      const ablation = await neuronAblationCurves(model, {
        layer: 'relu1',
        scores: [4, 3, 2, 1],
        evaluation: { inputs: x, labels: [0, 1, 0] },
        seeds: 3,
      });
      expect(ablation.cluster.accuracy.top).toHaveLength(5);
      return [value, curve];
    });
    tf.dispose([x, attributions, perturbations]);
  });
});
