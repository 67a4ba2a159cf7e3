import * as tf from '@tensorflow/tfjs-core';
import { loadModel, ownResult, type AttributionInputs, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { deepLift, integratedGradients, noiseTunnel, saliency } from './index.js';

/** Each test here failed on the code before the fix it names. */
describeWithBackends('fixed bugs', ['cpu', 'wasm'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = randomTensor([2, 4, 4, 2], 1);

  it('noiseTunnel passes the wrapped method’s delta through, one per noisy row (it was dropped)', async () => {
    const tunnel = noiseTunnel(integratedGradients, { nSamples: 3, stdevs: 0, nSamplesBatchSize: 2 });
    const baselines = randomTensor([2, 4, 4, 2], 2, -0.2, 0.2);
    const options = { target: [0, 2], baselines, nSteps: 8, returnConvergenceDelta: true };
    const direct = await integratedGradients(model, x, options);
    await expectNoLeaks(async () => {
      const result = await tunnel(model, x, options);
      // No noise: every copy is x, with its per-sample baseline and target, so each row's delta is IG's.
      const delta = result.delta as tf.Tensor;
      expect(delta.shape).toEqual([6]);
      const expected = tf.tidy(() => tf.tile(direct.delta!, [3]));
      expectTensorsClose(delta, expected, { atol: 1e-5 });
      expectTensorsClose(result.attributions, direct.attributions, { atol: 1e-5 });
      expected.dispose();
      result.dispose();
    });
    direct.dispose();
  });

  it('noiseTunnel expands a per-sample feature mask and fixed inputs to the noisy copies (it threw)', async () => {
    // A method that needs its per-sample featureMask row by row: attributions = inputs · mask.
    const masked = (_: Graph, inputs: AttributionInputs, options: { featureMask: tf.Tensor }) => {
      const input = inputs as tf.Tensor;
      if (options.featureMask.shape[0] !== input.shape[0])
        throw new Error('mask rows do not follow the copies');
      return ownResult({ attributions: tf.mul(input, options.featureMask) });
    };
    const mask = tf.concat([tf.ones([1, 4, 4, 2]), tf.zeros([1, 4, 4, 2])], 0);
    const result = await noiseTunnel(masked, { nSamples: 4, stdevs: 0 })(model, x, { featureMask: mask });
    const expected = tf.mul(x, mask);
    expectTensorsClose(result.attributions, expected, { atol: 1e-6 });
    tf.dispose([expected, mask]);
    result.dispose();
  });

  it('noiseTunnel composes with a synchronous rule method (deepLift)', async () => {
    const result = await noiseTunnel(deepLift, { nSamples: 2, stdevs: 0 })(model, x, {
      target: 1,
      returnConvergenceDelta: true,
    });
    const direct = deepLift(model, x, { target: 1, returnConvergenceDelta: true });
    expectTensorsClose(result.attributions, direct.attributions, { atol: 1e-5 });
    expect((result.delta as tf.Tensor).shape).toEqual([4]);
    result.dispose();
    direct.dispose();
  });

  it('a failure in the middle of a chunked call leaves tfjs usable: the next call works and nothing leaks', async () => {
    let calls = 0;
    // A registered hook that throws on the third forward pass (the second chunk's backward is set up).
    const handle = model.addHook({
      name: 'fails mid-call',
      node: model.nodes[1].name,
      after: () => {
        calls += 1;
        if (calls === 3) throw new Error('induced failure');
      },
    });
    const before = tf.memory().numTensors;
    await expect(
      integratedGradients(model, x, { target: 0, nSteps: 6, internalBatchSize: 4 }),
    ).rejects.toThrow(/induced failure/);
    handle.remove();
    expect(tf.memory().numTensors).toBe(before);
    const state = (tf.engine() as unknown as { state: { activeTape: unknown; gradientDepth: number } }).state;
    expect(state.activeTape).toBeNull();
    expect(state.gradientDepth).toBe(0);
    await expectNoLeaks(async () => {
      const ok = await saliency(model, x, { target: 0 });
      expect(Array.from(ok.attributions.dataSync()).every(Number.isFinite)).toBe(true);
      ok.dispose();
    });
  });

  it('results own their tensors: dispose() frees attributions and delta', async () => {
    const before = tf.memory().numTensors;
    const result = await integratedGradients(model, x, {
      target: 0,
      nSteps: 4,
      returnConvergenceDelta: true,
    });
    expect(tf.memory().numTensors).toBe(before + 2);
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
