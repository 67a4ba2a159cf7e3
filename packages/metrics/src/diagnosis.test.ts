import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, seededRandom, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, expectTypedError } from '@attrib/test-utils';
import { trainTower3 } from '@attrib/toy-models';
import { neuronImportanceReport, type NeuronImportanceReport } from './neuron-importance-report.js';

const METHODS = ['gradient', 'gradXAct', 'gradientAbs'] as const;

/** A [in, out] linear weight from nested rows. */
const matrix = (rows: number[][]) => tf.tensor2d(rows);

/** One cluster whose every sample has label 1, reported with the three built-in scorers. */
async function reportOn(
  model: Graph,
  layer: string,
  x: number[][],
  options: { mode?: 'zero' | 'mean'; internalBatchSize?: number } = {},
): Promise<NeuronImportanceReport> {
  const inputs = tf.tensor2d(x);
  try {
    return await neuronImportanceReport(
      model,
      layer,
      { c: { inputs, labels: x.map(() => 1) } },
      { methods: [...METHODS], seeds: 20, ...options },
    );
  } finally {
    inputs.dispose();
  }
}

// Hand-built models: exact on cpu, and the same causes found on wasm.
describeWithBackends('neuron importance diagnosis', ['cpu', 'wasm'], () => {
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T) => (owned.push(t), t);
  afterAll(() => tf.dispose(owned));

  it('two redundant towers: no scorer beats random, the layer is redundant', async () => {
    // h0 = h1 = relu(x), x ∈ [1, 2]; logit1 = h0 + h1 − relu(h0 + h1 − 1) = 1, logit0 = 0.
    // Ablating one tower leaves logit1 = 1 (drop 0); ablating both gives 0 (drop 1).
    const model = new GraphBuilder({ name: 'x', shape: [null, 1] })
      .linear('towers', { weight: keep(matrix([[1, 1]])), bias: keep(tf.zeros([2])) })
      .relu('h')
      .linear('excess', { weight: keep(matrix([[1], [1]])), bias: keep(tf.tensor1d([-1])) }, ['h'])
      .relu('r')
      .concat('both', ['h', 'r'])
      .linear('out', {
        weight: keep(
          matrix([
            [0, 1],
            [0, 1],
            [0, -1],
          ]),
        ),
        bias: keep(tf.zeros([2])),
      })
      .build();
    const x = Array.from({ length: 20 }, (_, i) => [1 + i / 20]);
    const report = await reportOn(model, 'h', x);
    const { methods, diagnosis } = report.clusters.c;
    expect(diagnosis!.ablation.drop[0]).toBeCloseTo(0, 6);
    expect(diagnosis!.ablation.drop[1]).toBeCloseTo(0, 6);
    for (const name of METHODS) {
      const d = methods[name].diagnosis!;
      expect(d.redundancy.k).toBe(2);
      expect(d.redundancy.together).toBeCloseTo(1, 6);
      expect(d.redundancy.sumOfSingles).toBeCloseTo(0, 6);
      expect(d.pValue).toBe(1);
      expect(d.cause).toBe('redundant');
      expect(d.verdict).toMatch(/^no scorer beats random: the layer is redundant for this cluster/);
    }
    expect(diagnosis!.sentences).toContain(`gradXAct: ${methods.gradXAct.diagnosis!.verdict}.`);
  });

  it('units whose gradient alternates sign: the signed mean cancels, gradient×activation does not', async () => {
    // hidden = x (12 units, pre-activation); logit1 = Σ w_u |hidden_u| with w_u = u + 1, logit0 = 60.
    // ∂logit1/∂hidden_u = w_u·sign(x_u): the sign is random per sample, so its mean nearly cancels.
    const units = 12;
    const eye = Array.from({ length: units }, (_, i) => Array.from({ length: units }, (_, j) => +(i === j)));
    const model = new GraphBuilder({ name: 'x', shape: [null, units] })
      .linear('hidden', { weight: keep(matrix(eye)), bias: keep(tf.zeros([units])) })
      .linear('split', { weight: keep(matrix(eye.map((row) => [...row, ...row.map((v) => -v)]))) })
      .relu('r')
      .linear('out', {
        weight: keep(matrix(Array.from({ length: 2 * units }, (_, i) => [0, (i % units) + 1]))),
        bias: keep(tf.tensor1d([60, 0])),
      })
      .build();
    const next = seededRandom(3);
    const x = Array.from({ length: 80 }, () =>
      Array.from({ length: units }, () => (next() < 0.5 ? -1 : 1) * (1 + 0.5 * next())),
    );
    const report = await reportOn(model, 'hidden', x);
    const { methods, diagnosis } = report.clusters.c;
    // Zero-ablating unit u removes w_u |x_u|: the ground truth, computed here in float64.
    const evalRows = report.clusters.c.evaluationSize;
    expect(evalRows).toBe(40);
    expect(Math.max(...diagnosis!.ablation.drop)).toBeGreaterThan(11);
    expect(methods.gradXAct.diagnosis!.agreement.ablation).toBeGreaterThan(0.9);
    const gradient = methods.gradient.diagnosis!;
    expect(gradient.signCancellation!.ratio).toBeLessThan(0.5);
    expect(gradient.cause).toBe('sign-cancellation');
    expect(gradient.verdict).toMatch(
      /^averaging cancels signs: use \|gradient\| or gradient×activation \(the signed mean keeps \d/,
    );
    const gradXAct = methods.gradXAct.diagnosis!;
    expect(gradXAct.signCancellation!.ratio).toBe(1);
    expect(gradXAct.pValue).toBeCloseTo(1 / 21, 12);
    expect(gradXAct.cause).toBe('uses');
    // No seed as damaging (q = 0): 1 / (1 + S) ≤ 0.05 needs S ≥ 19.
    expect(gradXAct.seedsNeeded).toBe(19);
  });

  // hidden = relu(x·W + b): units 0, 1 copy x (x > 0), unit 2 is dead (bias −10), unit 3 is constant 1.
  // logit1 = h0 + 2 h1 + 5 h2 + 3 h3, logit0 = 2.
  const deadAndConstant = () =>
    new GraphBuilder({ name: 'x', shape: [null, 2] })
      .linear('pre', {
        weight: keep(
          matrix([
            [1, 0, 0, 0],
            [0, 1, 0, 0],
          ]),
        ),
        bias: keep(tf.tensor1d([0, 0, -10, 1])),
      })
      .relu('h')
      .linear('out', {
        weight: keep(
          matrix([
            [0, 1],
            [0, 2],
            [0, 5],
            [0, 3],
          ]),
        ),
        bias: keep(tf.tensor1d([2, 0])),
      })
      .build();
  const positives = Array.from({ length: 30 }, (_, i) => [0.5 + (i % 5) / 5, 0.5 + (i % 3) / 3]);

  it('a dead unit is named', async () => {
    // 15 ranking rows in chunks of 4: the evidence is summed across chunks.
    const report = await reportOn(deadAndConstant(), 'h', positives, { internalBatchSize: 4 });
    const diagnosis = report.clusters.c.diagnosis!;
    expect(diagnosis.dead).toEqual([2]);
    expect(diagnosis.evidence.activationMean[2]).toBe(0);
    expect(diagnosis.sentences[0]).toMatch(/^Dead unit 2: 0 on every sample/);
    // Zero ablation of the constant unit 3 removes 3·1 from logit1 on every sample.
    expect(diagnosis.ablation.drop[3]).toBeCloseTo(3, 5);
    // ∂logit1/∂h = the readout weights on every sample.
    diagnosis.evidence.gradientMeanAbs.forEach((g, u) => expect(g).toBeCloseTo([1, 2, 5, 3][u], 6));
  });

  it('a bias that absorbs an ablation: mean-ablating a constant unit changes nothing, zero ablation does', async () => {
    const report = await reportOn(deadAndConstant(), 'h', positives, { mode: 'mean' });
    const diagnosis = report.clusters.c.diagnosis!;
    expect(diagnosis.ablation.mode).toBe('mean');
    expect(diagnosis.ablation.drop[3]).toBeCloseTo(0, 6);
    expect(diagnosis.otherAblation).toMatchObject({ mode: 'zero' });
    expect(diagnosis.otherAblation.drop[3]).toBeCloseTo(3, 5);
    expect(diagnosis.evidence.gradientMeanAbs[3]).toBeCloseTo(3, 6);
    expect(diagnosis.biasAbsorbed).toEqual([3]);
    // Before the ReLU, the mean pre-activation of unit 2 is −10, so mean-ablating it there changes nothing
    // either; unit 3's pre-activation is the constant 1 too.
    expect(diagnosis.preActivation!.drop[2]).toBeCloseTo(0, 6);
    expect(diagnosis.preActivation!.drop[3]).toBeCloseTo(0, 6);
    expect(diagnosis.sentences.join('\n')).toMatch(
      /Unit 3 has a gradient but removing it \(mean ablation\) changes nothing: the next layer's bias absorbs it/,
    );
  });

  it('leaks nothing; a non-boolean diagnose is a typed error', async () => {
    const model = deadAndConstant();
    await expectNoLeaks(() => reportOn(model, 'h', positives, { mode: 'mean' }));
    const inputs = keep(tf.tensor2d(positives));
    await expectTypedError('neuronImportanceReport', 'diagnose', () =>
      neuronImportanceReport(
        model,
        'h',
        { c: { inputs, labels: positives.map(() => 1) } },
        {
          diagnose: 'yes' as never,
        },
      ),
    );
  });
});

describeWithBackends('neuron importance diagnosis on tower3', ['cpu'], () => {
  it('tower3: the signed-mean gradient and gradient×activation verdicts follow their numbers', async () => {
    const toy = trainTower3({ seed: 0 });
    const ofClass = (c: number) => Array.from(toy.labels).flatMap((l, i) => (l === c ? [i] : []));
    const cluster = (c: number) => ({
      inputs: tf.tidy(() => tf.gather(toy.inputs, tf.tensor1d(ofClass(c), 'int32'))),
      labels: ofClass(c).map(() => c),
    });
    const clusters = { negative: cluster(0), positive: cluster(1) };
    try {
      // The user's setting: mean-ablating ReLU units ranked by the signed mean gradient.
      const report = await neuronImportanceReport(toy.model, 'concat', clusters, {
        methods: ['gradient', 'gradXAct'],
        seeds: 20,
        mode: 'mean',
      });
      const gradient = report.clusters.negative.methods.gradient.diagnosis!;
      const gradXAct = report.clusters.negative.methods.gradXAct.diagnosis!;
      // Neither beats random; gradient×activation still orders units as their ablation does, the gradient does not.
      expect(gradient.pValue).toBeGreaterThan(0.05);
      expect(gradXAct.pValue).toBeGreaterThan(0.05);
      expect(gradient.agreement.ablation).toBeLessThan(0.5);
      expect(gradXAct.agreement.ablation).toBeGreaterThanOrEqual(0.5);
      expect(gradient.cause).toBe('disagrees-with-ablation');
      expect(gradXAct.cause).toBe('within-random-band');
      expect(gradient.verdict).toContain(
        `ρ with single-unit ablation ${Number(gradient.agreement.ablation!.toPrecision(3))}`,
      );
      expect(gradXAct.withinRandomBand).toBe(true);
    } finally {
      tf.dispose(Object.values(clusters).map((c) => c.inputs));
      toy.dispose();
    }
  });
});
