import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, randomTensor, tinyModels } from '@attrib/test-utils';
import { gaussianPerturbation, infidelity } from './infidelity.js';

/** Captum's definition, one perturbation at a time (FORMAT §7.9). */
function literalInfidelity(
  model: Graph,
  x: number[][],
  attr: number[][],
  perturbations: number[][],
  target: number[],
  n: number,
  normalize: boolean,
): number[] {
  const f = (row: number[], t: number) =>
    tf.tidy(() => model.run(tf.tensor2d([row])).arraySync() as number[][])[0][t];
  return x.map((xi, i) => {
    const a: number[] = [];
    const d: number[] = [];
    for (let r = i * n; r < (i + 1) * n; r++) {
      a.push(attr[i].reduce((s, v, j) => s + v * perturbations[r][j], 0));
      d.push(
        f(xi, target[i]) -
          f(
            xi.map((v, j) => v - perturbations[r][j]),
            target[i],
          ),
      );
    }
    const beta = normalize ? a.reduce((s, v, k) => s + v * d[k], 0) / a.reduce((s, v) => s + v * v, 0) : 1;
    return a.reduce((s, v, k) => s + (beta * v - d[k]) ** 2, 0) / n;
  });
}

describeWithBackends('infidelity', ['cpu'], () => {
  let model: Graph;
  let x: tf.Tensor;
  let attributions: tf.Tensor;
  let perturbations: tf.Tensor;
  const target = [0, 1, 1];
  beforeAll(() => {
    model = loadModel(tinyModels.mlp());
    x = randomTensor([3, 3], 1);
    attributions = randomTensor([3, 3], 2);
    perturbations = randomTensor([12, 3], 3, -0.3, 0.3);
  });
  afterAll(() => tf.dispose([x, attributions, perturbations]));

  it.each([false, true])(
    'matches the literal definition (normalize %s), in any chunking',
    async (normalize) => {
      const expected = literalInfidelity(
        model,
        x.arraySync() as number[][],
        attributions.arraySync() as number[][],
        perturbations.arraySync() as number[][],
        target,
        4,
        normalize,
      );
      for (const perturbationsPerEval of [undefined, 5]) {
        const { infidelity: result } = await infidelity(model, x, {
          attributions,
          perturbations,
          nPerturbSamples: 4,
          target,
          normalize,
          perturbationsPerEval,
        });
        const actual = result.arraySync();
        expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 6));
        result.dispose();
      }
    },
  );

  it('takes a perturbation function, reports progress and leaks nothing', async () => {
    const progress: number[] = [];
    await expectNoLeaks(() =>
      infidelity(model, x, {
        attributions,
        perturbFunc: gaussianPerturbation({ std: 0.1, seed: 3 }),
        nPerturbSamples: 4,
        target: 1,
        perturbationsPerEval: 4,
        onProgress: (p) => progress.push(p.done),
      }),
    );
    // Rows evaluated: 3 samples × 4 perturbations, 4 rows a pass.
    expect(progress).toEqual([4, 8, 12]);
  });

  it('rejects bad options with typed errors', async () => {
    const wrong = randomTensor([3, 2], 4);
    await expect(
      infidelity(model, x, { attributions: wrong, perturbations, nPerturbSamples: 4, target }),
    ).rejects.toThrow(ShapeMismatchError);
    await expect(
      infidelity(model, x, { attributions, perturbations, nPerturbSamples: 3, target }),
    ).rejects.toThrow(/perturbations/);
    await expect(infidelity(model, x, { attributions, nPerturbSamples: 4, target })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(
      infidelity(model, x, { attributions, perturbations, nPerturbSamples: 0, target }),
    ).rejects.toThrow(/nPerturbSamples/);
    await expect(
      infidelity(model, x, { attributions, perturbations, nPerturbSamples: 4, target: 5 }),
    ).rejects.toThrow(/target/);
    const nan = tf.tensor2d([
      [NaN, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    await expect(
      infidelity(model, nan, { attributions, perturbations, nPerturbSamples: 4, target }),
    ).rejects.toThrow(/finite/);
    tf.dispose([wrong, nan]);
  });
});
