import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel } from '@attrib/core';
import { clusterNeuronImportance } from '@attrib/gradients';
import { neuronKnockout } from '@attrib/perturbation';
import { describeWithBackends, expectNoLeaks, tinyModels } from '@attrib/test-utils';
import { trainTower3 } from '@attrib/toy-models';
import { neuronAblationCurves, type LabelledInputs } from './neuron-ablation.js';
import { randomPermutation, seededRandom } from '@attrib/core';

describeWithBackends('neuronAblationCurves on the 3-tower toy model', ['cpu'], () => {
  let toy: ReturnType<typeof trainTower3>;
  let ranking: LabelledInputs;
  let evaluation: LabelledInputs;
  let offCluster: LabelledInputs;
  let scores: Float64Array;

  const part = (ids: number[], label: number): LabelledInputs => ({
    inputs: tf.tidy(() => tf.gather(toy.inputs, tf.tensor1d(ids, 'int32'))),
    labels: ids.map(() => label),
  });

  beforeAll(async () => {
    toy = trainTower3({ seed: 7 });
    const ofClass = (c: number) => Array.from(toy.labels).flatMap((l, i) => (l === c ? [i] : []));
    const positives = ofClass(1);
    ranking = part(
      positives.filter((_, j) => j % 2 === 0),
      1,
    );
    evaluation = part(
      positives.filter((_, j) => j % 2 === 1),
      1,
    );
    offCluster = part(
      ofClass(0).filter((_, j) => j % 2 === 1),
      0,
    );
    const importance = await clusterNeuronImportance(toy.model, {
      layer: 'concat',
      clusters: { positive: { inputs: ranking.inputs, targets: Int32Array.from(ranking.labels) } },
    });
    scores = importance.positive.meanGradXAct;
  });
  afterAll(() => {
    tf.dispose([ranking.inputs, evaluation.inputs, offCluster.inputs]);
    toy.dispose();
  });

  it('top-k by gradient importance hurts the cluster more than random-k (p < 0.05, 20 seeds); bottom-k less', async () => {
    const result = await neuronAblationCurves(toy.model, {
      layer: 'concat',
      scores,
      evaluation,
      offCluster,
      seeds: 20,
    });
    const accuracy = result.cluster.accuracy;
    expect(result.seeds).toHaveLength(20);
    expect(accuracy.pValue).toBeLessThan(0.05);
    expect(accuracy.areas.top).toBeLessThan(accuracy.areas.randomMean);
    expect(accuracy.areas.bottom).toBeGreaterThan(accuracy.areas.randomMean);
    expect(accuracy.areas.randomMinusTop).toBeGreaterThan(0);
    expect(result.cluster.targetProbability.pValue).toBeLessThan(0.05);
    // The informative tower feeds concat units 4..7: the top of the ranking comes from there.
    expect(result.ranking.slice(0, 2).every((u) => u >= 4 && u < 8)).toBe(true);
    // k = 0 is the intact model on both sides.
    expect(accuracy.top[0]).toBe(accuracy.random.mean[0]);
    expect(result.offCluster!.accuracy.top[0]).toBeGreaterThan(0.9);
    for (let k = 0; k < result.ks.length; k++) {
      expect(accuracy.random.lower[k]).toBeLessThanOrEqual(accuracy.random.mean[k] + 1e-12);
      expect(accuracy.random.upper[k]).toBeGreaterThanOrEqual(accuracy.random.mean[k] - 1e-12);
    }
  });

  it('equals one knock-out forward per (k, seed), whatever the batching, and is deterministic', async () => {
    const ks = [0, 3, 7];
    const seeds = [4, 9];
    const batched = await neuronAblationCurves(toy.model, {
      layer: 'concat',
      scores,
      evaluation,
      ks,
      seeds,
      mode: 'mean',
      reference: ranking.inputs,
      perturbationsPerEval: 3,
    });
    const again = await neuronAblationCurves(toy.model, {
      layer: 'concat',
      scores,
      evaluation,
      ks,
      seeds,
      mode: 'mean',
      reference: ranking.inputs,
    });
    expect(again).toEqual(batched);
    const labels = Array.from(evaluation.labels);
    const oneAtATime = (units: number[]) => {
      const knockout = neuronKnockout(toy.model, {
        node: 'concat',
        units,
        mode: 'mean',
        reference: ranking.inputs,
      });
      try {
        return tf.tidy(() => {
          const output = toy.model
            .run(evaluation.inputs, { hooks: [knockout.hook] })
            .arraySync() as number[][];
          const correct =
            output.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length / labels.length;
          const logit = output.reduce((s, row, i) => s + row[labels[i]], 0) / labels.length;
          return { correct, logit };
        });
      } finally {
        knockout.dispose();
      }
    };
    ks.forEach((k, index) => {
      const top = oneAtATime(batched.ranking.slice(0, k));
      expect(batched.cluster.accuracy.top[index]).toBeCloseTo(top.correct, 10);
      expect(batched.cluster.targetLogit.top[index]).toBeCloseTo(top.logit, 4);
      const bottom = oneAtATime([...batched.ranking].reverse().slice(0, k));
      expect(batched.cluster.targetLogit.bottom[index]).toBeCloseTo(bottom.logit, 4);
      seeds.forEach((seed, s) => {
        const random = oneAtATime(Array.from(randomPermutation(12, seededRandom(seed)).slice(0, k)));
        expect(batched.cluster.targetLogit.random.perSeed[s][index]).toBeCloseTo(random.logit, 4);
      });
    });
  });

  it('reports progress per chunk of masks, in rows (masks × evaluation samples)', async () => {
    const progress: string[] = [];
    await neuronAblationCurves(toy.model, {
      layer: 'concat',
      scores,
      evaluation,
      ks: [0, 1, 2],
      seeds: 2,
      perturbationsPerEval: 5,
      onProgress: (p) => progress.push(`${p.done}/${p.total}`),
    });
    // 12 masks over the 45 evaluation samples, 5 masks a pass.
    expect(evaluation.inputs.shape[0]).toBe(45);
    expect(progress).toEqual(['225/540', '450/540', '540/540']);
  });

  it('ablates the tensor entering a node, by a value', async () => {
    const result = await neuronAblationCurves(toy.model, {
      layer: 'combiner',
      at: 'input',
      scores,
      evaluation,
      ks: [0, 12],
      seeds: 2,
      mode: 'value',
      value: 0,
    });
    const zero = await neuronAblationCurves(toy.model, {
      layer: 'concat',
      scores,
      evaluation,
      ks: [0, 12],
      seeds: 2,
    });
    expect(result.cluster.targetLogit.top).toEqual(zero.cluster.targetLogit.top);
  });

  it.each([
    ['relu1', 'output'],
    ['add', 'input'],
    ['fc1', 'input'],
    ['fc2', 'input'],
  ] as const)('replays the unablated prefix exactly on a residual model (%s, %s)', async (layer, at) => {
    const residual = loadModel(tinyModels.residual());
    const x = tf.tensor2d([
      [1, 0, -1, 0.5],
      [0.2, 0.4, -0.6, 1],
      [-1, -0.5, 0.3, 0.1],
    ]);
    const labels = [0, 1, 1];
    const result = await neuronAblationCurves(residual, {
      layer,
      at,
      scores: [0.1, 0.4, 0.3, 0.2],
      evaluation: { inputs: x, labels },
      ks: [1, 2, 4],
      seeds: 1,
      mode: 'value',
      value: 0.5,
    });
    result.ks.forEach((k, index) => {
      const knockout = neuronKnockout(residual, {
        node: layer,
        at,
        units: result.ranking.slice(0, k),
        mode: 'value',
        value: 0.5,
      });
      const output = tf.tidy(() => residual.run(x, { hooks: [knockout.hook] }).arraySync() as number[][]);
      knockout.dispose();
      const logit = output.reduce((sum, row, i) => sum + row[labels[i]], 0) / labels.length;
      expect(result.cluster.targetLogit.top[index]).toBeCloseTo(logit, 5);
    });
    x.dispose();
  });

  it('works on a single-output model (the target logit is the output)', async () => {
    const regression = loadModel({
      ...tinyModels.mlp(),
      nodes: tinyModels
        .mlp()
        .nodes.map((n) =>
          n.name === 'fc2'
            ? { ...n, weight: { shape: [4, 1], data: [1, -1, 0.5, 2] }, bias: { shape: [1], data: [0] } }
            : n,
        ),
    });
    const x = tf.tensor2d([
      [1, 0, -1],
      [0.5, 0.5, 0.5],
    ]);
    const result = await neuronAblationCurves(regression, {
      layer: 'relu1',
      scores: [1, 2, 3, 4],
      evaluation: { inputs: x, labels: [0, 0] },
      ks: [0, 4],
      seeds: 2,
    });
    const intact = tf.tidy(() => tf.mean(regression.run(x)).dataSync()[0]);
    expect(result.cluster.targetLogit.top[0]).toBeCloseTo(intact, 5);
    expect(result.cluster.targetLogit.top[1]).toBeCloseTo(0, 6);
    expect(result.cluster.targetProbability.top).toEqual([1, 1]);
    x.dispose();
  });

  it('leaks nothing, registers no hooks, and rejects bad input with typed errors', async () => {
    await expectNoLeaks(() =>
      neuronAblationCurves(toy.model, {
        layer: 'concat',
        scores,
        evaluation,
        offCluster,
        ks: [0, 2],
        seeds: 3,
        mode: 'mean',
        reference: ranking.inputs,
      }),
    );
    const call = (options: object) =>
      neuronAblationCurves(toy.model, { layer: 'concat', scores, evaluation, seeds: 2, ...options });
    await expect(call({ layer: 'nope' })).rejects.toThrow(UnknownNodeError);
    await expect(call({ scores: [1, 2, 3] })).rejects.toThrow(/scores.*12/);
    await expect(call({ ks: [13] })).rejects.toThrow(InvalidArgumentError);
    await expect(call({ seeds: 0 })).rejects.toThrow(/seeds/);
    await expect(call({ mode: 'mean' })).rejects.toThrow(/reference/);
    await expect(call({ evaluation: { inputs: evaluation.inputs, labels: [1] } })).rejects.toThrow(
      /evaluation.labels/,
    );
    await expect(
      call({ evaluation: { inputs: evaluation.inputs, labels: Array.from(evaluation.labels, () => 5) } }),
    ).rejects.toThrow(/class indices/);
    await expect(call({ mode: 'value', value: tf.zeros([3]) })).rejects.toThrow(/value/);
    expect(toy.model.hooks).toHaveLength(0);
    await expectNoLeaks(() => call({ scores: [1] }).catch(() => undefined));
  });
});
