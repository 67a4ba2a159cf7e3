import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, loadModel } from '@attrib/core';
import { saliency } from '@attrib/gradients';
import { describeWithBackends, expectNoLeaks, randomTensor, tinyModels } from '@attrib/test-utils';
import { sensitivityMax } from './sensitivity.js';

describeWithBackends('sensitivityMax', ['cpu'], () => {
  it('is 0 for an explanation that ignores the input, and bounded for the identity explanation', async () => {
    const x = randomTensor([3, 4], 41, 1, 2);
    const constant = await sensitivityMax(() => tf.ones([3, 4]), x, { nPerturbSamples: 1 });
    expect(Array.from(constant.sensitivity.dataSync())).toEqual([0, 0, 0]);
    const identity = await sensitivityMax((inputs) => tf.clone(inputs), x, {
      perturbRadius: 0.1,
      nPerturbSamples: 5,
      perturbationsPerEval: 4,
    });
    const norms = tf.tidy(() => tf.norm(x, 'euclidean', 1).arraySync() as number[]);
    identity.sensitivity.arraySync().forEach((s: number, i: number) => {
      // ‖ε‖ / ‖x‖ with |ε_j| ≤ 0.1 over 4 entries.
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual((0.1 * 2) / norms[i] + 1e-6);
    });
    tf.dispose([x, constant.sensitivity, identity.sensitivity]);
  });

  it('passes each row’s sample index so per-sample targets can be expanded', async () => {
    const model = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 42);
    const targets = [0, 1];
    const seen: number[][] = [];
    await expectNoLeaks(() =>
      sensitivityMax(
        async (inputs, { sampleIndex }) => {
          seen.push(Array.from(sampleIndex));
          return (await saliency(model, inputs, { target: Array.from(sampleIndex, (i) => targets[i]) }))
            .attributions;
        },
        x,
        { nPerturbSamples: 3, perturbationsPerEval: 4 },
      ),
    );
    expect(seen).toEqual([
      [0, 1],
      [0, 0, 0, 1],
      [1, 1],
    ]);
    x.dispose();
  });

  it.each(['fro', 'inf'] as const)(
    'equals the literal max over the perturbed inputs it explained (norm %s)',
    async (normOrd) => {
      const model = loadModel(tinyModels.mlp());
      const x = randomTensor([2, 3], 43);
      const explain = async (inputs: tf.Tensor) =>
        (await saliency(model, inputs, { target: 1, abs: false })).attributions;
      const seen: Array<{ rows: number[][]; samples: number[]; explanation: number[][] }> = [];
      const { sensitivity } = await sensitivityMax(
        async (inputs, { sampleIndex }) => {
          const explanation = await explain(inputs);
          seen.push({
            rows: inputs.arraySync() as number[][],
            samples: Array.from(sampleIndex),
            explanation: explanation.arraySync() as number[][],
          });
          return explanation;
        },
        x,
        { nPerturbSamples: 4, perturbRadius: 0.5, normOrd, perturbationsPerEval: 3, seed: 9 },
      );
      const norm = (v: number[]) =>
        normOrd === 'fro' ? Math.sqrt(v.reduce((s, e) => s + e * e, 0)) : Math.max(...v.map(Math.abs));
      const [original, ...perturbed] = seen;
      const expected = [-Infinity, -Infinity];
      for (const chunk of perturbed) {
        chunk.samples.forEach((i, r) => {
          const base = original.explanation[i];
          expect(norm(chunk.rows[r].map((v, j) => v - original.rows[i][j]))).toBeLessThanOrEqual(
            (normOrd === 'fro' ? Math.sqrt(3) : 1) * 0.5 + 1e-6,
          );
          const value = norm(chunk.explanation[r].map((v, j) => v - base[j])) / (norm(base) || 1);
          expected[i] = Math.max(expected[i], value);
        });
      }
      sensitivity.arraySync().forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      tf.dispose([x, sensitivity]);
    },
  );

  it('rejects bad options', async () => {
    const x = randomTensor([1, 2], 1);
    await expect(sensitivityMax(undefined as never, x)).rejects.toThrow(InvalidArgumentError);
    await expect(sensitivityMax(() => tf.clone(x), x, { perturbRadius: -1 })).rejects.toThrow(
      /perturbRadius/,
    );
    await expect(sensitivityMax(() => tf.clone(x), x, { normOrd: 'l1' as never })).rejects.toThrow(/normOrd/);
    let calls = 0;
    const shrinking = () => (calls++ === 0 ? tf.clone(x) : tf.zeros([1, 1]));
    const before = tf.memory().numTensors;
    await expect(sensitivityMax(shrinking, x)).rejects.toThrow(ShapeMismatchError);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
