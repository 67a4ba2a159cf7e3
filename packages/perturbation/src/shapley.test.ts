import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  fixturePath,
  maxAbsDiff,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { loadModel, type JsonModel } from '@attrib/core';
import { shapleyValues, shapleyValueSampling } from './index.js';

const cnn = loadModel(tinyModels.cnn());
const tower3 = loadModel(
  JSON.parse(readFileSync(fixturePath('conformance', 'models', 'tower3.json'), 'utf8')) as JsonModel,
);
const column = (input: tf.Tensor, target: number[]) =>
  tf.tidy(() => {
    const out = cnn.run(input) as tf.Tensor2D;
    return Array.from(tf.sum(tf.mul(out, tf.oneHot(target, out.shape[1])), 1).dataSync());
  });

/** The Shapley value straight from its definition: the mean marginal over all n! orders. */
function literalShapley(value: (present: boolean[]) => number[], groups: number, batch: number): number[][] {
  const orders: number[][] = [];
  const permute = (prefix: number[], rest: number[]) => {
    if (!rest.length) orders.push(prefix);
    rest.forEach((g, i) => permute([...prefix, g], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  permute(
    [],
    Array.from({ length: groups }, (_, g) => g),
  );
  const phi = Array.from({ length: batch }, () => new Array<number>(groups).fill(0));
  for (const order of orders) {
    const present = new Array<boolean>(groups).fill(false);
    let previous = value(present);
    for (const g of order) {
      present[g] = true;
      const current = value(present);
      for (let n = 0; n < batch; n++) phi[n][g] += (current[n] - previous[n]) / orders.length;
      previous = current;
    }
  }
  return phi;
}

describeWithBackends('Shapley values', ['cpu'], () => {
  const x = randomTensor([2, 4, 4, 2], 41);
  const target = [2, 0];
  const rows = Array.from({ length: 32 }, (_, i) => Math.floor(i / 8));
  const mask = tf.tensor(rows, [1, 4, 4, 2], 'int32');

  it('exact values are efficient: they sum to f(x) − f(baseline)', async () => {
    const { attributions } = await shapleyValues(cnn, x, {
      target,
      featureMask: mask,
      baselines: 0.3,
      perturbationsPerEval: 4,
    });
    const fx = column(x, target);
    const fb = column(tf.fill(x.shape, 0.3), target);
    // Each group's value is spread over its 8 elements, so the per-sample sum counts it 8 times.
    expectTensorsClose(
      tf.div(tf.sum(attributions, [1, 2, 3]), 8),
      fx.map((v, n) => v - fb[n]),
      { atol: 1e-5 },
    );
  });

  it('exact values equal the mean marginal over all orders', async () => {
    const { attributions } = await shapleyValues(cnn, x, { target, featureMask: mask });
    const data = x.dataSync();
    const value = (present: boolean[]) =>
      column(
        tf.tensor(
          Float32Array.from(data, (v, i) => (present[rows[i % 32]] ? v : 0)),
          x.shape,
        ),
        target,
      );
    const phi = literalShapley(value, 4, 2);
    const expected = tf.tensor(
      phi.flatMap((p) => rows.map((g) => p[g])),
      x.shape,
    );
    expectTensorsClose(attributions, expected, { atol: 1e-5 });
  });

  it('sampled values approach the exact ones on tower3', async () => {
    const input = randomTensor([6, 3], 42, -2, 2);
    const exact = await shapleyValues(tower3, input, { target: 1 });
    const sampled = await shapleyValueSampling(tower3, input, {
      target: 1,
      nSamples: 400,
      seed: 3,
      perturbationsPerEval: 64,
    });
    const scale = Math.max(...Array.from(exact.attributions.dataSync(), Math.abs));
    expect(maxAbsDiff(sampled.attributions, exact.attributions)).toBeLessThan(0.05 * scale);
    const again = await shapleyValueSampling(tower3, input, {
      target: 1,
      nSamples: 400,
      seed: 3,
      perturbationsPerEval: 300,
    });
    expectTensorsClose(again.attributions, sampled.attributions, { atol: 1e-6 });
  });

  it('warns above 10 groups and leaks nothing', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const input = randomTensor([1, 4, 4, 2], 5);
    const eleven = tf.tensor(
      Array.from({ length: 32 }, (_, i) => Math.min(i, 10)),
      [1, 4, 4, 2],
      'int32',
    );
    await expectNoLeaks(() =>
      shapleyValues(cnn, input, { target: 0, featureMask: eleven, perturbationsPerEval: 512 }),
    );
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/11 feature groups/));
    warn.mockRestore();
    await expectNoLeaks(() =>
      shapleyValueSampling(cnn, input, { target: 0, featureMask: mask, nSamples: 3 }),
    );
    await expect(shapleyValueSampling(cnn, input, { target: 0, nSamples: 0 })).rejects.toThrow(
      /nSamples.*shapleyValueSampling/,
    );
  });
});

describeWithBackends('Shapley smoke', ['wasm'], () => {
  it('exact values are efficient', async () => {
    const input = randomTensor([3, 3], 9);
    const { attributions } = await shapleyValues(tower3, input, { target: 0 });
    const f = (v: tf.Tensor) =>
      tf.tidy(() => Array.from(tf.slice(tower3.run(v), [0, 0], [-1, 1]).dataSync()));
    const fx = f(input);
    const f0 = f(tf.zeros([3, 3]));
    expectTensorsClose(
      tf.sum(attributions, 1),
      fx.map((v, n) => v - f0[n]),
      { atol: 1e-4 },
    );
  });
});
