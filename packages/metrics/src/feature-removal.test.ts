import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, randomTensor, tinyModels } from '@attrib/test-utils';
import { featureRemovalCurve } from './feature-removal.js';
import { faithfulnessCorrelation } from './faithfulness-correlation.js';
import { regionPerturbation } from './region-perturbation.js';
import { patchMask } from './feature-groups.js';

const logit = (model: Graph, row: number[], t: number) =>
  tf.tidy(() => (model.run(tf.tensor2d([row])).arraySync() as number[][])[0][t]);

describeWithBackends('feature removal metrics', ['cpu'], () => {
  let model: Graph;
  let x: tf.Tensor;
  let attributions: tf.Tensor;
  beforeAll(() => {
    model = loadModel(tinyModels.mlp());
    x = randomTensor([2, 3], 21);
    attributions = tf.tensor2d([
      [0.5, -1, 2],
      [3, 1, 2],
    ]);
  });
  afterAll(() => tf.dispose([x, attributions]));

  it('deletes most relevant features first, one forward row per step (literal loop)', async () => {
    const { curve, auc, fractions } = await featureRemovalCurve(model, x, {
      attributions,
      target: [0, 1],
      baselines: 0.25,
      perturbationsPerEval: 3,
    });
    const rows = x.arraySync() as number[][];
    const orders = [
      [2, 0, 1],
      [0, 2, 1],
    ];
    const expected = rows.map((row, i) =>
      [0, 1, 2, 3].map((step) =>
        logit(
          model,
          row.map((v, j) => (orders[i].slice(0, step).includes(j) ? 0.25 : v)),
          [0, 1][i],
        ),
      ),
    );
    const actual = curve.arraySync();
    expected.forEach((row, i) => row.forEach((v, s) => expect(actual[i][s]).toBeCloseTo(v, 5)));
    expect(Array.from(fractions)).toEqual([0, 1 / 3, 2 / 3, 1].map(Math.fround));
    const area = (ys: number[]) => ys.slice(1).reduce((s, y, k) => s + (y + ys[k]) / 6, 0);
    auc.arraySync().forEach((v, i) => expect(v).toBeCloseTo(area(expected[i]), 5));
    tf.dispose([curve, auc]);
  });

  it('insertion runs from the baseline to the input, least relevant first when asked', async () => {
    const { curve, auc } = await featureRemovalCurve(model, x, {
      attributions,
      target: 1,
      mode: 'insertion',
      order: 'least-relevant-first',
      featuresPerStep: 2,
    });
    const rows = x.arraySync() as number[][];
    const actual = curve.arraySync();
    expect(curve.shape).toEqual([2, 3]);
    rows.forEach((row, i) => {
      expect(actual[i][0]).toBeCloseTo(logit(model, [0, 0, 0], 1), 5);
      expect(actual[i][2]).toBeCloseTo(logit(model, row, 1), 5);
    });
    // Sample 0's least relevant two features are 1 and 0.
    expect(actual[0][1]).toBeCloseTo(logit(model, [rows[0][0], rows[0][1], 0], 1), 5);
    tf.dispose([curve, auc]);
  });

  it('groups features with a mask and patches', async () => {
    const mask = tf.tensor2d([[7, 7, 3]], [1, 3], 'int32');
    const { curve, fractions } = await featureRemovalCurve(model, x, {
      attributions,
      target: 0,
      featureMask: mask,
    });
    expect(curve.shape).toEqual([2, 3]);
    expect(Array.from(fractions)).toEqual([0, 0.5, 1]);
    const rows = x.arraySync() as number[][];
    // Sample 1: group {0,1} has relevance 4 > group {2} with 2, so it goes first.
    expect(curve.arraySync()[1][1]).toBeCloseTo(logit(model, [0, 0, rows[1][2]], 0), 5);
    expect(patchMask(4, 4, 2).dataSync()).toEqual(
      Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]),
    );
    tf.dispose([mask, curve]);
  });

  it('faithfulness correlation is 1 for gradient×input of a linear model', async () => {
    const linear = loadModel({
      format: 'attrib-model/1',
      id: 'linear',
      layout: 'NHWC',
      input: { name: 'x', shape: [null, 4] },
      nodes: [
        {
          name: 'fc',
          op: 'linear',
          inputs: ['x'],
          weight: { shape: [4, 1], data: [1, -2, 0.5, 3] },
          bias: { shape: [1], data: [0.1] },
        },
      ],
      output: 'fc',
    } as never);
    const inputs = randomTensor([3, 4], 5);
    const exact = tf.mul(inputs, tf.tensor2d([[1, -2, 0.5, 3]]));
    const { correlation } = await faithfulnessCorrelation(linear, inputs, {
      attributions: exact,
      subsetSize: 2,
      nRuns: 10,
      seed: 1,
      perturbationsPerEval: 7,
    });
    correlation.arraySync().forEach((c) => expect(c).toBeCloseTo(1, 5));
    tf.dispose([inputs, exact, correlation]);
  });

  it('region perturbation: AOPC is the mean drop along the curve', async () => {
    const { curve, aopc } = await regionPerturbation(model, x, {
      attributions,
      target: 0,
      noise: { seed: 2 },
    });
    const c = curve.arraySync();
    aopc
      .arraySync()
      .forEach((v, i) => expect(v).toBeCloseTo(c[i].reduce((s, y) => s + (c[i][0] - y), 0) / c[i].length, 5));
    tf.dispose([curve, aopc]);
  });

  it('leaks nothing and rejects bad input', async () => {
    await expectNoLeaks(() =>
      featureRemovalCurve(model, x, { attributions, target: 0, perturbationsPerEval: 2 }),
    );
    await expectNoLeaks(() =>
      faithfulnessCorrelation(model, x, { attributions, target: 0, subsetSize: 1, nRuns: 4 }),
    );
    await expectNoLeaks(() => regionPerturbation(model, x, { attributions, target: 0 }));
    const wrong = tf.zeros([2, 4]);
    await expect(featureRemovalCurve(model, x, { attributions: wrong, target: 0 })).rejects.toThrow(
      ShapeMismatchError,
    );
    await expect(
      featureRemovalCurve(model, x, { attributions, target: 0, mode: 'sideways' as never }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      featureRemovalCurve(model, x, { attributions, target: 0, featuresPerStep: 0 }),
    ).rejects.toThrow(/featuresPerStep/);
    await expect(featureRemovalCurve(model, x, { attributions, target: 9 })).rejects.toThrow(/target/);
    await expect(
      featureRemovalCurve(model, x, { attributions, target: 0, featureMask: tf.zeros([1, 2]) }),
    ).rejects.toThrow(/featureMask/);
    await expect(
      faithfulnessCorrelation(model, x, { attributions, target: 0, subsetSize: -1 }),
    ).rejects.toThrow(/subsetSize/);
    wrong.dispose();
  });
});
