import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import {
  createScorer,
  evaluateMasked,
  GraphBuilder,
  registerKind,
  resolveModelInputs,
  type Progress,
} from './index.js';

// x [N, 3] times a per-sample scale [N, 1], then a fixed linear map to 2 columns.
registerKind(
  { kind: 'testScaleBy', category: 'product', arity: 2, paramNames: [], forward: ([x, s]) => tf.mul(x, s) },
  { replace: true },
);
const W = [
  [1, -2],
  [0.5, 3],
  [-1, 1],
];
const model = new GraphBuilder({ name: 'x', shape: [null, 3] }, { name: 'scale', shape: [null, 1] })
  .node('scaled', 'testScaleBy', { inputs: ['x', 'scale'] })
  .linear('fc', { weight: tf.tensor2d(W), bias: tf.tensor1d([0.1, -0.2]) })
  .build();
/** The same network in float64 on the host. */
const literal = (x: number[], s: number, t: number) =>
  0.1 * (t === 0 ? 1 : -2) + x.reduce((a, v, j) => a + v * s * W[j][t], 0);

describeWithBackends('evaluateMasked', ['cpu', 'wasm'], () => {
  const xs = [
    [1, 2, 3],
    [-1, 0.5, 2],
  ];
  const scales = [2, -3];

  it('evaluates copies of the batch under keep masks, with a fixed per-sample input, in any chunking', async () => {
    const x = tf.tensor2d(xs);
    const scale = tf.tensor2d(scales, [2, 1]);
    const baseline = tf.fill([2, 3], 0.5);
    // Perturbation p keeps feature p only (shared by the batch).
    const run = async (perturbationsPerEval?: number) => {
      const progress: Progress[] = [];
      const inputs = resolveModelInputs(model, x, { fn: 'test', additionalInputs: { scale } });
      const scorer = createScorer(model, inputs, { fn: 'test', target: [1, 0] });
      const values = await evaluateMasked(scorer, [baseline], {
        total: 3,
        keep: (start, end) => [
          tf.tensor3d(
            Array.from({ length: (end - start) * 3 }, (_, j) =>
              j % 3 === start + Math.floor(j / 3) ? 1 : 0,
            ),
            [end - start, 1, 3],
          ),
        ],
        perturbationsPerEval,
        onProgress: (p) => progress.push(p),
      });
      inputs.dispose();
      return { values: Array.from(values), reference: Array.from(scorer.reference), progress };
    };
    const expected = [0, 1, 2].flatMap((p) =>
      xs.map((row, n) =>
        literal(
          row.map((v, j) => (j === p ? v : 0.5)),
          scales[n],
          n === 0 ? 1 : 0,
        ),
      ),
    );
    for (const size of [1, 2, undefined]) {
      await expectNoLeaks(async () => {
        const { values, reference, progress } = await run(size);
        values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
        expect(reference[0]).toBeCloseTo(literal(xs[0], 2, 1), 4);
        // Progress counts rows (perturbations × samples).
        expect(progress.at(-1)).toEqual({ done: 6, total: 6, stage: 'test' });
        if (size === 1) expect(progress.map((p) => p.done)).toEqual([2, 4, 6]);
      });
    }
    tf.dispose([x, scale, baseline]);
  });

  it('evaluates single rows of chosen samples (sampleOf), gathering fixed inputs and targets per row', async () => {
    const x = tf.tensor2d(xs);
    const scale = tf.tensor2d(scales, [2, 1]);
    const baseline = tf.zeros([2, 3]);
    await expectNoLeaks(async () => {
      const inputs = resolveModelInputs(model, x, { fn: 'test', additionalInputs: [scale] });
      const scorer = createScorer(model, inputs, { fn: 'test', target: [0, 1] });
      // Rows: sample 1 keeping nothing, sample 0 keeping features 0 and 1, sample 1 keeping all.
      const keeps = [
        [0, 0, 0],
        [1, 1, 0],
        [1, 1, 1],
      ];
      const values = await evaluateMasked(scorer, [baseline], {
        total: 3,
        sampleOf: (r) => [1, 0, 1][r],
        keep: (start, end) => [tf.tensor2d(keeps.slice(start, end))],
        perturbationsPerEval: 2,
      });
      inputs.dispose();
      expect(values[0]).toBeCloseTo(literal([0, 0, 0], -3, 1), 4);
      expect(values[1]).toBeCloseTo(literal([1, 2, 0], 2, 0), 4);
      expect(values[2]).toBeCloseTo(literal(xs[1], -3, 1), 4);
    });
    tf.dispose([x, scale, baseline]);
  });

  it('masks integer inputs (token ids) with where, so kept ids stay ids', async () => {
    const ids = tf.tensor2d([[5, 7, 9]], [1, 3], 'int32');
    const pad = tf.fill([1, 3], 1, 'int32');
    // A forward function reading ids: Σ id · 10^position, so every id is visible in the value.
    const forward = (t: tf.Tensor) => tf.sum(tf.mul(tf.cast(t, 'float32'), tf.tensor1d([100, 10, 1])), 1);
    await expectNoLeaks(async () => {
      const inputs = resolveModelInputs(forward, ids, { fn: 'test' });
      const scorer = createScorer(forward, inputs, { fn: 'test' });
      const values = await evaluateMasked(scorer, [pad], {
        total: 2,
        keep: () => [tf.tensor3d([1, 0, 1, 0, 1, 1], [2, 1, 3])],
        perturbationsPerEval: 2,
      });
      expect(Array.from(values)).toEqual([519, 179]);
      inputs.dispose();
    });
    tf.dispose([ids, pad]);
  });

  it('refuses stacked copies when the forward returns one scalar for the whole batch', async () => {
    const x = tf.tensor2d(xs);
    const loss = (t: tf.Tensor) => tf.sum(t);
    const inputs = resolveModelInputs(loss, x, { fn: 'test' });
    const scorer = createScorer(loss, inputs, { fn: 'test' });
    expect(scorer.aggregate).toBe(true);
    const keep = () => [tf.ones([2, 1, 3])];
    await expect(evaluateMasked(scorer, [x], { total: 2, keep, perturbationsPerEval: 2 })).rejects.toThrow(
      /perturbationsPerEval.*1 when the forward returns one scalar/,
    );
    x.dispose();
  });
});
