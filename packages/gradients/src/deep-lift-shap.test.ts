import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, loadModel } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { deepLift } from './deep-lift.js';
import { deepLiftShap } from './deep-lift-shap.js';

describeWithBackends('deepLiftShap', ['cpu'], () => {
  const graph = loadModel(tinyModels.cnn());
  const x = randomTensor([2, 4, 4, 2], 32);
  const refs = randomTensor([3, 4, 4, 2], 33);

  it('is the mean over baselines of DeepLift against each, with per-pair deltas (sample-major)', () => {
    const { attributions, delta } = deepLiftShap(graph, x, {
      target: [0, 2],
      baselines: refs,
      returnConvergenceDelta: true,
    });
    const each = [0, 1, 2].map((k) =>
      deepLift(graph, x, { target: [0, 2], baselines: tf.slice(refs, k, 1), returnConvergenceDelta: true }),
    );
    expectTensorsClose(attributions, tf.div(tf.addN(each.map((e) => e.attributions)), 3), {
      atol: 1e-6,
      rtol: 1e-5,
    });
    expectTensorsClose(
      delta!,
      [0, 1].flatMap((n) => each.map((e) => e.delta!.dataSync()[n])),
      { atol: 1e-6 },
    );
  });

  it('takes the target as a number, per sample or as a function alike', () => {
    const reference = deepLiftShap(graph, x, { target: [1, 1], baselines: refs }).attributions;
    const column = (out: tf.Tensor) => tf.reshape(tf.slice(out, [0, 1], [-1, 1]), [-1]);
    for (const target of [1, tf.tensor1d([1, 1], 'int32'), column]) {
      expectTensorsClose(deepLiftShap(graph, x, { target, baselines: refs }).attributions, reference, {
        atol: 1e-7,
      });
    }
  });

  it('leaks nothing and throws typed errors', async () => {
    await expectNoLeaks(() =>
      deepLiftShap(graph, x, { target: [0, 1], baselines: refs, returnConvergenceDelta: true }),
    );
    await expectNoLeaks(() =>
      expect(() => deepLiftShap(graph, x, { target: 4, baselines: refs })).toThrow(
        /'target' passed to 'deepLift/,
      ),
    );
    expect(() => deepLiftShap(graph, x, { target: 0, baselines: tf.zeros([4, 2]) })).toThrow(
      ShapeMismatchError,
    );
    expect(() => deepLiftShap(graph, x, { target: [0, 1, 1], baselines: refs })).toThrow(
      /'target' passed to 'deepLiftShap'/,
    );
    expect(() => deepLiftShap(graph, x, { target: 0 } as never)).toThrow(
      /'baselines' passed to 'deepLiftShap'/,
    );
  });
});
