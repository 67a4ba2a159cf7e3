import { useBackend } from '@attrib/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { trainTower3 } from '@attrib/toy-models';
import { runImportanceJob } from './importance-job.js';

describe('attrib importance job [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('ranks the tower reading feature 1 first, by every aggregate', async () => {
    const before = tf.memory().numTensors;
    const report = await runImportanceJob({ seed: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.accuracy).toBeGreaterThan(0.95);
    expect(report.informativeTower).toBe('tower1');
    expect(report.informativeFirst).toBe(true);
    for (const ranking of Object.values(report.ranking)) expect(ranking[0]).toBe('tower1');
  });

  it("sums each tower's per-unit aggregates as a literal float64 computation gives them", async () => {
    const report = await runImportanceJob({ seed: 5, steps: 30 });
    // Training is deterministic given the seed: the same model, rebuilt here, is read as plain numbers.
    const trained = trainTower3({ seed: 5, steps: 30 });
    const values = (node: string, param: string) =>
      Array.from(trained.model.node(node).module.params[param].dataSync());
    const combiner = values('combiner', 'weight'); // [12, 2], row-major
    const xs = trained.inputs.arraySync();
    for (const [t, { tower, importance }] of report.towers.entries()) {
      const [w, b] = [values(tower, 'weight'), values(tower, 'bias')];
      const literal = { mean: 0, meanAbs: 0, meanGradXAct: 0 };
      trained.labels.forEach((label, n) => {
        for (let j = 0; j < w.length; j++) {
          // d logit[label] / d z_j through the relu: the combiner's weight where z_j > 0.
          const z = xs[n][t] * w[j] + b[j];
          const g = z > 0 ? combiner[(t * w.length + j) * 2 + label] : 0;
          literal.mean += g / xs.length;
          literal.meanAbs += Math.abs(g) / xs.length;
          literal.meanGradXAct += (g * z) / xs.length;
        }
      });
      expect(tower).toBe(`tower${t}`);
      for (const aggregate of ['mean', 'meanAbs', 'meanGradXAct'] as const)
        expect(importance[aggregate]).toBeCloseTo(literal[aggregate], 5);
      // Signs cancel in the mean of some tower, so mean and mean |g| are told apart.
      if (t === 0) expect(literal.meanAbs - Math.abs(literal.mean)).toBeGreaterThan(1e-3);
    }
    trained.dispose();
  });

  it('is deterministic given the seed', async () => {
    const [a, b, c] = [
      await runImportanceJob({ seed: 3, steps: 30 }),
      await runImportanceJob({ seed: 3, steps: 30 }),
      await runImportanceJob({ seed: 4, steps: 30 }),
    ];
    expect(a).toEqual(b);
    expect(a.towers).not.toEqual(c.towers);
  });
});
