import type * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '@attrib/core';
import { describeWithBackends, randomTensor, tinyModels } from '@attrib/test-utils';
import {
  deepLift,
  deepLiftShap,
  gradientShap,
  integratedGradients,
  layerConductance,
  layerDeepLift,
  layerIntegratedGradients,
} from './index.js';

// `returnConvergenceDelta: true` types `delta` as present (overloads on each method with a delta), so
// `result.delta` needs no `!`. The assignments to `tf.Tensor` are the compile-time check (`pnpm
// typecheck`); the `@ts-expect-error` lines fail to compile if `delta` stops being optional otherwise.
describeWithBackends('convergence delta typing', ['cpu'], () => {
  const model = loadModel(tinyModels.mlp());
  const x = randomTensor([2, 3], 7);
  const distribution = randomTensor([3, 3], 8, -0.2, 0.2);
  const options = { target: 1, returnConvergenceDelta: true } as const;

  it('every method with a delta returns it, typed as present, when asked', async () => {
    const deltas: tf.Tensor[] = [
      (await integratedGradients(model, x, { ...options, nSteps: 4 })).delta,
      (await gradientShap(model, x, { ...options, baselines: distribution, nSamples: 2, seed: 1 })).delta,
      deepLift(model, x, options).delta,
      deepLiftShap(model, x, { ...options, baselines: distribution }).delta,
      layerDeepLift(model, x, { ...options, layer: 'fc1' }).delta,
      (await layerConductance(model, x, { ...options, layer: 'fc1', nSteps: 4 })).delta,
      (await layerIntegratedGradients(model, x, { ...options, layer: 'fc1', nSteps: 4 })).delta,
    ];
    for (const delta of deltas) expect(delta.rank).toBe(1);
  });

  it('leaves delta optional (and absent) otherwise', async () => {
    const plain = await integratedGradients(model, x, { target: 1, nSteps: 4 });
    // @ts-expect-error without returnConvergenceDelta: true, delta may be undefined
    const delta: tf.Tensor = plain.delta;
    expect(delta).toBeUndefined();
    const unknown: { returnConvergenceDelta?: boolean } = { returnConvergenceDelta: true };
    // @ts-expect-error a boolean that is not the literal true does not promise a delta
    const maybe: tf.Tensor = deepLift(model, x, { target: 1, ...unknown }).delta;
    expect(maybe.rank).toBe(1);
  });
});
