import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, InvalidArgumentError } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, randomTensor } from '@attrib/test-utils';
import { classSummaries } from './class-summaries.js';

describeWithBackends('classSummaries', ['cpu'], () => {
  const labels = [0, 1, 1, 2, 0, 1, 2, 2, 0, 1];

  it('equals a literal per-class mean, variance, min and max', () => {
    const x = randomTensor([10, 2, 3], 5);
    const summary = classSummaries([2, 3]).update(x, labels);
    const rows = tf.tidy(() => tf.reshape(x, [10, 6]).arraySync()) as number[][];
    for (const label of [0, 1, 2]) {
      const mine = rows.filter((_, r) => labels[r] === label);
      const mean = mine[0].map((_, j) => mine.reduce((s, row) => s + row[j], 0) / mine.length);
      const variance = mean.map((m, j) => mine.reduce((s, row) => s + (row[j] - m) ** 2, 0) / mine.length);
      const stats = summary.of(label);
      mean.forEach((m, j) => expect(stats.mean()[j]).toBeCloseTo(m, 6));
      variance.forEach((v, j) => expect(stats.variance()[j]).toBeCloseTo(v, 6));
      mean.forEach((_, j) => expect(stats.min()[j]).toBeCloseTo(Math.min(...mine.map((row) => row[j])), 6));
      mean.forEach((_, j) => expect(stats.max()[j]).toBeCloseTo(Math.max(...mine.map((row) => row[j])), 6));
    }
    expect(summary.classes()).toEqual([0, 1, 2]);
    expect(summary.overall().count).toBe(10);
    x.dispose();
  });

  it('merges shards (also through a JSON round trip) into the one-pass answer', () => {
    const x = randomTensor([10, 4], 9);
    const whole = classSummaries([4]).update(x, labels);
    const a = tf.slice(x, 0, 3);
    const b = tf.slice(x, 3, 7);
    const shardA = classSummaries([4]).update(a, labels.slice(0, 3));
    const shardB = classSummaries([4]).update(b, labels.slice(3));
    const viaJson = JSON.parse(
      JSON.stringify(shardB.state(), (_, v) => (v instanceof Float64Array ? Array.from(v) : v)),
    );
    const merged = classSummaries([4], shardA.state()).merge(viaJson);
    for (const label of whole.classes()) {
      for (const key of ['mean', 'variance', 'min', 'max'] as const) {
        const expected = whole.of(label)[key]();
        const actual = merged.of(label)[key]();
        expected.forEach((v, j) => expect(actual[j]).toBeCloseTo(v, 10));
      }
      expect(merged.of(label).count).toBe(whole.of(label).count);
    }
    tf.dispose([x, a, b]);
  });

  it('rejects wrong shapes and labels, and leaks nothing', async () => {
    const x = randomTensor([3, 4], 1);
    const summary = classSummaries([4]);
    expect(() => summary.update(x, [0, 1])).toThrow(InvalidArgumentError);
    expect(() => summary.update(x, [0, 1.5, 2])).toThrow(/labels/);
    expect(() => classSummaries([5]).update(x, [0, 0, 0])).toThrow(ShapeMismatchError);
    expect(() => summary.of(3)).toThrow(/label/);
    await expectNoLeaks(() => void classSummaries([4]).update(x, [0, 0, 1]));
    x.dispose();
  });
});
