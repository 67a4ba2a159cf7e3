import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError } from '@attrib/core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import { trainTower3 } from '@attrib/toy-models';
import { neuronImportanceReport } from './neuron-importance-report.js';
import type { LabelledInputs } from './neuron-ablation.js';

describeWithBackends('neuronImportanceReport', ['cpu'], () => {
  let toy: ReturnType<typeof trainTower3>;
  let clusters: Record<string, LabelledInputs>;
  beforeAll(() => {
    toy = trainTower3({ seed: 5 });
    const ofClass = (c: number) => Array.from(toy.labels).flatMap((l, i) => (l === c ? [i] : []));
    const cluster = (c: number) => ({
      inputs: tf.tidy(() => tf.gather(toy.inputs, tf.tensor1d(ofClass(c), 'int32'))),
      labels: ofClass(c).map(() => c),
    });
    clusters = { negative: cluster(0), positive: cluster(1) };
  });
  afterAll(() => {
    tf.dispose(Object.values(clusters).map((c) => c.inputs));
    toy.dispose();
  });

  it('scores, ranks and ablates each cluster with each method; JSON round-trips', async () => {
    const stages: string[] = [];
    const custom = (_model: unknown, { labels }: { labels: Int32Array }) =>
      Array.from({ length: 12 }, (_, u) => (u === 11 ? labels.length : 0));
    const report = await neuronImportanceReport(toy.model, 'concat', clusters, {
      methods: { gradXAct: 'gradXAct', gradientAbs: 'gradientAbs', lastUnit: custom },
      seeds: 20,
      onProgress: (p) => stages.push(`${p.done}/${p.total} ${p.stage}`),
    });
    expect(stages).toEqual([
      '1/6 negative/gradXAct',
      '2/6 negative/gradientAbs',
      '3/6 negative/lastUnit',
      '4/6 positive/gradXAct',
      '5/6 positive/gradientAbs',
      '6/6 positive/lastUnit',
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report.units).toBe(12);
    expect(report.ks).toHaveLength(13);
    const sizes = Object.values(report.clusters).map((c) => c.rankingSize + c.evaluationSize);
    expect(sizes).toEqual([clusters.negative.inputs.shape[0], clusters.positive.inputs.shape[0]]);
    for (const cluster of Object.values(report.clusters)) {
      const gradXAct = cluster.methods.gradXAct;
      expect(gradXAct.cluster.accuracy.pValue).toBeLessThan(0.05);
      expect(gradXAct.ranking.slice(0, 2).every((u) => u >= 4 && u < 8)).toBe(true);
      expect(gradXAct.offCluster).toBeDefined();
      expect(cluster.methods.lastUnit.ranking[0]).toBe(11);
    }
  });

  it('leaks nothing and rejects bad input', async () => {
    await expectNoLeaks(() =>
      neuronImportanceReport(toy.model, 'concat', clusters, {
        methods: ['gradient'],
        seeds: 2,
        ks: [0, 4],
        mode: 'mean',
      }),
    );
    await expect(neuronImportanceReport(toy.model, 'nope', clusters)).rejects.toThrow(UnknownNodeError);
    await expect(
      neuronImportanceReport(toy.model, 'concat', clusters, { methods: ['magic' as never] }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(neuronImportanceReport(toy.model, 'concat', {})).rejects.toThrow(/clusters/);
    await expect(neuronImportanceReport(toy.model, 'concat', clusters, { holdout: 2 })).rejects.toThrow(
      /holdout/,
    );
    await expect(
      neuronImportanceReport(toy.model, 'concat', { one: { inputs: clusters.positive.inputs, labels: [1] } }),
    ).rejects.toThrow(/labels/);
    expect(toy.model.hooks).toHaveLength(0);
  });
});
