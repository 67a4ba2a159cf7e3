import { useBackend } from '@attrib/test-utils';
import * as tf from '@tensorflow/tfjs-core';
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
    // |g| can only exceed the signed mean: that is where cancelling signs went.
    for (const { importance } of report.towers)
      expect(importance.meanAbs).toBeGreaterThanOrEqual(Math.abs(importance.mean));
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
