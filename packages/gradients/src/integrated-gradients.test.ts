import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  literalPathSchedule,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import { integratedGradients } from './integrated-gradients.js';

/** Literal IG: one sample, one path point (Captum's schedule, written out), one tf.grad at a time. */
function slowIntegratedGradients(
  model: Graph,
  x: tf.Tensor,
  b: tf.Tensor,
  targets: number[],
  method: 'gausslegendre' | 'riemannTrapezoid',
  nSteps: number,
): tf.Tensor {
  const { alphas, stepSizes } = literalPathSchedule(method, nSteps);
  const rows = targets.map((t, i) =>
    tf.tidy(() => {
      const xi = tf.slice(x, [i], [1]);
      const bi = tf.slice(b, [i], [1]);
      let total = tf.zerosLike(xi);
      alphas.forEach((alpha, k) => {
        const point = tf.add(bi, tf.mul(alpha, tf.sub(xi, bi)));
        const g = tf.grad((p: tf.Tensor) => tf.sum(tf.slice(model.forward(p).output, [0, t], [1, 1])))(point);
        total = tf.add(total, tf.mul(stepSizes[k], g));
      });
      return tf.mul(tf.sub(xi, bi), total);
    }),
  );
  return tf.concat(rows, 0);
}

describeWithBackends('integratedGradients', ['cpu'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 31);
  const b = randomTensor([3, 4, 4, 2], 32, -0.2, 0.2);
  const targets = [2, 0, 1];

  it.each(['gausslegendre', 'riemannTrapezoid'] as const)(
    '%s equals the literal per-sample, per-step sum',
    async (method) => {
      const { attributions } = await integratedGradients(model, x, {
        target: targets,
        baselines: b,
        nSteps: 8,
        method,
      });
      expectTensorsClose(attributions, slowIntegratedGradients(model, x, b, targets, method, 8), {
        atol: 1e-5,
      });
    },
  );

  it('is complete: |delta| is small and shrinks with nSteps', async () => {
    const mlp = loadModel(tinyModels.mlp());
    const xs = randomTensor([4, 3], 33, -2, 2);
    const worst = async (nSteps: number, method: 'riemannTrapezoid' | 'gausslegendre') => {
      const { delta, attributions } = await integratedGradients(mlp, xs, {
        target: 1,
        nSteps,
        method,
        returnConvergenceDelta: true,
      });
      expect(delta!.shape).toEqual([4]);
      const gap = tf.sub(
        tf.sum(attributions, 1),
        tf.sub(
          tf.reshape(tf.slice(mlp.run(xs), [0, 1], [-1, 1]), [4]),
          tf.reshape(tf.slice(mlp.run(tf.zerosLike(xs)), [0, 1], [-1, 1]), [4]),
        ),
      );
      expectTensorsClose(delta!, gap, { atol: 1e-5 });
      return Math.max(...Array.from(delta!.dataSync(), Math.abs));
    };
    const coarse = await worst(4, 'riemannTrapezoid');
    const fine = await worst(64, 'riemannTrapezoid');
    expect(fine).toBeLessThan(coarse);
    expect(fine).toBeLessThan(1e-2);
    // The gradient of a ReLU net jumps at kinks, so the error falls like 1/nSteps.
    expect(await worst(256, 'riemannTrapezoid')).toBeLessThan(fine / 2);
  });

  it('is batch invariant and internalBatchSize invariant, reporting progress per chunk', async () => {
    const all = await integratedGradients(model, x, { target: targets, baselines: b, nSteps: 10 });
    const single = tf.concat(
      await Promise.all(
        targets.map(
          async (t, i) =>
            (
              await integratedGradients(model, tf.slice(x, [i], [1]), {
                target: t,
                baselines: tf.slice(b, [i], [1]),
                nSteps: 10,
              })
            ).attributions,
        ),
      ),
      0,
    );
    expectTensorsClose(all.attributions, single, { atol: 1e-6 });
    const progress: number[] = [];
    const chunked = await integratedGradients(model, x, {
      target: targets,
      baselines: b,
      nSteps: 10,
      internalBatchSize: 7,
      onProgress: (p) => progress.push(p.done),
    });
    expectTensorsClose(chunked.attributions, all.attributions, { atol: 1e-6 });
    // Progress counts rows (samples × steps): two steps of 3 samples per pass.
    expect(progress).toEqual([6, 12, 18, 24, 30]);
  });

  it('every target form equals per-sample runs; a row-wise function target works on the stacked path', async () => {
    const single = (i: number, target: number | ((o: tf.Tensor) => tf.Tensor)) =>
      integratedGradients(model, tf.slice(x, [i], [1]), {
        target,
        baselines: tf.slice(b, [i], [1]),
        nSteps: 5,
      });
    const expected = tf.concat(
      await Promise.all(targets.map(async (t, i) => (await single(i, t)).attributions)),
      0,
    );
    for (const target of [targets, Int32Array.from(targets), tf.tensor1d(targets, 'int32')]) {
      const { attributions } = await integratedGradients(model, x, {
        target,
        baselines: b,
        nSteps: 5,
        internalBatchSize: 6,
      });
      expectTensorsClose(attributions, expected, { atol: 1e-6 });
    }
    const topLogit = (o: tf.Tensor) => tf.max(o, 1);
    const perSample = tf.concat(
      await Promise.all([0, 1, 2].map(async (i) => (await single(i, topLogit)).attributions)),
      0,
    );
    const { attributions } = await integratedGradients(model, x, {
      target: topLogit,
      baselines: b,
      nSteps: 5,
    });
    expectTensorsClose(attributions, perSample, { atol: 1e-6 });
  });

  it('accepts baselines as a number, one sample or the whole batch', async () => {
    const asNumber = await integratedGradients(model, x, { target: targets, baselines: 0.1, nSteps: 4 });
    const asSample = await integratedGradients(model, x, {
      target: targets,
      baselines: tf.fill([4, 4, 2], 0.1),
      nSteps: 4,
    });
    const asBatch = await integratedGradients(model, x, {
      target: targets,
      baselines: tf.fill([3, 4, 4, 2], 0.1),
      nSteps: 4,
    });
    expectTensorsClose(asSample.attributions, asNumber.attributions, { atol: 1e-7 });
    expectTensorsClose(asBatch.attributions, asNumber.attributions, { atol: 1e-7 });
  });

  it('leaves no tensors behind, with and without delta, chunked or not', async () => {
    await expectNoLeaks(() => integratedGradients(model, x, { target: targets, nSteps: 5 }));
    await expectNoLeaks(() =>
      integratedGradients(model, x, {
        target: targets,
        baselines: b,
        nSteps: 5,
        internalBatchSize: 6,
        returnConvergenceDelta: true,
      }),
    );
    await expectNoLeaks(() => integratedGradients(model, x, { target: 7, nSteps: 5 }).catch(() => undefined));
  });

  it('refuses bad baselines, targets, batching, methods and NaN input with typed errors', async () => {
    await expect(
      integratedGradients(model, x, { target: targets, baselines: tf.zeros([2, 4, 4, 2]) }),
    ).rejects.toThrow(ShapeMismatchError);
    await expect(
      integratedGradients(model, x, { target: targets, baselines: tf.zeros([2, 4, 4, 2]) }),
    ).rejects.toThrow(/'baselines' passed to 'integratedGradients'/);
    await expect(integratedGradients(model, x, { target: 5 })).rejects.toThrow(
      /'target' passed to 'integratedGradients' must be a class index/,
    );
    await expect(integratedGradients(model, x, { target: targets, internalBatchSize: 2 })).rejects.toThrow(
      /'internalBatchSize' passed to 'integratedGradients' must be an integer ≥ the batch size \(3\)/,
    );
    await expect(
      integratedGradients(model, x, { target: targets, method: 'simpson' as never }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      integratedGradients(model, x, { target: targets, method: 'riemann_left', nSteps: 1 }),
    ).rejects.toThrow(/'nSteps'/);
    await expect(integratedGradients(model, tf.fill([1, 4, 4, 2], NaN), { target: 0 })).rejects.toThrow(
      /must be finite/,
    );
    await expect(
      integratedGradients(model, x, { target: 0, baselines: tf.fill([4, 4, 2], Infinity) }),
    ).rejects.toThrow(/'baselines' passed to 'integratedGradients' must be finite/);
  });
});
