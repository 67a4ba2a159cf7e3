import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, randomTensor } from '@attrib/test-utils';
import { streamingStats } from './index.js';

describeWithBackends('streamingStats', ['cpu'], () => {
  it('merged shards equal one pass, and both equal the literal formulas', () => {
    const data = randomTensor([37, 2, 3], 5, -3, 5);
    const whole = streamingStats([2, 3]).update(data);
    const a = streamingStats([2, 3])
      .update(tf.slice(data, [0, 0, 0], [10, 2, 3]))
      .update(tf.slice(data, [10, 0, 0], [5, 2, 3]));
    const b = streamingStats([2, 3]).update(tf.slice(data, [15, 0, 0], [22, 2, 3]));
    const merged = streamingStats([2, 3], a.state()).merge(b);
    const rows = tf.reshape(data, [37, 6]).arraySync() as number[][];
    for (let i = 0; i < 6; i++) {
      const column = rows.map((r) => r[i]);
      const mean = column.reduce((s, v) => s + v, 0) / 37;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / 37;
      for (const stats of [whole, merged]) {
        expect(stats.mean()[i]).toBeCloseTo(mean, 10);
        expect(stats.variance()[i]).toBeCloseTo(variance, 10);
        expect(stats.min()[i]).toBe(Math.min(...column));
        expect(stats.max()[i]).toBe(Math.max(...column));
      }
    }
    expect(merged.count).toBe(37);
    expect(() => whole.update(tf.zeros([2, 3]))).toThrow(/must have shape \[B, 2, 3\]/);
  });
});
