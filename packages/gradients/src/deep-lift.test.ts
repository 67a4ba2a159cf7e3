import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  literalDeepLiftMlp,
  literalMlpFromSpec,
  randomTensor,
  tinyModels,
  withActivation,
  type LiteralActivation,
} from '@attrib/test-utils';
import { deepLift } from './deep-lift.js';

/** tinyModels.cnn with another pool. */
function cnnWith(pool: string): Graph {
  const spec = tinyModels.cnn();
  return loadModel({
    ...spec,
    nodes: spec.nodes.map((n) => (n.op === 'maxpool2d' ? { ...n, op: pool } : n)),
  });
}

/**
 * DeepLift as the chain rule with every ReLU's derivative replaced by its fixed multiplier
 * Δrelu/Δz (from separate forwards of x and b) and every other node's ordinary gradient, by tf.grad
 * one sample at a time: (x − b)·∂f[t]/∂x.
 */
function literalRescale(graph: Graph, x: tf.Tensor, b: tf.Tensor, targets: number[]): tf.Tensor {
  return tf.tidy(() => {
    const rows = targets.map((t, i) => {
      const [xi, bi] = [tf.slice(x, i, 1), tf.slice(b, i, 1)];
      const zx = graph.forward(xi).nodeInputs;
      const zb = graph.forward(bi).nodeInputs;
      // Computed outside tf.grad: tensors a gradient function closes over must outlive the forward.
      const multipliers = new Map(
        graph.nodes
          .filter((node) => node.module.kind === 'relu')
          .map((node) => {
            const [a, c] = [zx.get(node.name)![0], zb.get(node.name)![0]];
            const dz = tf.sub(a, c);
            return [
              node.name,
              tf.where(tf.less(tf.abs(dz), 1e-10), tf.step(a), tf.div(tf.sub(tf.relu(a), tf.relu(c)), dz)),
            ] as const;
          }),
      );
      const run = (v: tf.Tensor) => {
        const values = new Map<string, tf.Tensor>([[graph.inputs[0].name, v]]);
        for (const node of graph.nodes) {
          const args = node.inputs.map((name) => values.get(name)!);
          if (node.module.kind !== 'relu') {
            values.set(node.name, node.module.forward(args));
            continue;
          }
          const m = multipliers.get(node.name)!;
          const rescaled = tf.customGrad((z: tf.Tensor | tf.GradSaveFunc) => ({
            value: tf.relu(z as tf.Tensor),
            gradFunc: (dy: tf.Tensor) => tf.mul(dy, m),
          }));
          values.set(node.name, rescaled(args[0]) as tf.Tensor);
        }
        return tf.sum(tf.slice(values.get(graph.output)!, [0, t], [1, 1]));
      };
      return tf.mul(tf.sub(xi, bi), tf.grad(run)(xi));
    });
    return tf.concat(rows, 0);
  });
}

const sampleShape = (graph: Graph) => graph.inputs[0].shape!.slice(1).map((d) => d ?? 1);

describeWithBackends('deepLift', ['cpu'], () => {
  for (const kind of ['relu', 'sigmoid', 'tanh'] as LiteralActivation[]) {
    for (const residual of [false, true]) {
      it(`${kind}${residual ? ' residual' : ''} MLP: equals the literal rescale rule, with delta ≈ 0`, () => {
        const spec = withActivation(residual ? tinyModels.residual() : tinyModels.mlp(), kind);
        const graph = loadModel(spec);
        const d = residual ? 4 : 3;
        const x = randomTensor([3, d], 21);
        const b = randomTensor([3, d], 22);
        const targets = [0, 1, 1];
        const literal = literalDeepLiftMlp(
          literalMlpFromSpec(spec),
          x.arraySync() as number[][],
          b.arraySync() as number[][],
          targets,
        );
        const { attributions, delta } = deepLift(graph, x, {
          target: targets,
          baselines: b,
          returnConvergenceDelta: true,
        });
        expectTensorsClose(attributions, literal.map((r) => r.input).flat(), { atol: 1e-6, rtol: 1e-5 });
        expectTensorsClose(delta!, [0, 0, 0], { atol: 1e-5 });
      });
    }
  }

  it('max-pool: follows Captum rule (scatter to each half’s argmax) on a pool → linear model', () => {
    const spec = {
      input: { name: 'x', shape: [null, 4, 4, 1] },
      nodes: [
        { name: 'pool', op: 'maxpool2d', inputs: ['x'], size: [2, 2], strides: [2, 2], pad: [0, 0, 0, 0] },
        { name: 'flatten', op: 'flatten', inputs: ['pool'] },
        {
          name: 'fc',
          op: 'linear',
          inputs: ['flatten'],
          weight: { shape: [4, 2], data: [0.5, -1, 2, 0.25, -0.75, 1.5, 1, -0.5] },
          bias: null,
        },
      ],
      output: 'fc',
    };
    const graph = loadModel(spec);
    const x = randomTensor([2, 4, 4, 1], 23);
    const b = randomTensor([2, 4, 4, 1], 24);
    const w = spec.nodes[2].weight!.data;
    const [xs, bs] = [x.dataSync() as Float32Array, b.dataSync() as Float32Array];
    const expected = new Float64Array(32);
    for (let n = 0; n < 2; n++) {
      for (let wi = 0; wi < 4; wi++) {
        const cells = [0, 1, 4, 5].map((o) => n * 16 + (Math.floor(wi / 2) * 8 + (wi % 2) * 2) + o);
        const argmax = (v: Float32Array) => cells.reduce((best, c) => (v[c] > v[best] ? c : best), cells[0]);
        const [ax, ab] = [argmax(xs), argmax(bs)];
        const [o, ob] = [xs[ax], bs[ab]];
        const m = Math.max(o, ob);
        const g = w[wi * 2 + 1];
        // U / Δin · Δin: the attribution at a cell is what the rule scatters there.
        expected[ax] += g * (m - ob);
        expected[ab] += g * (o - m);
      }
    }
    const { attributions, delta } = deepLift(graph, x, {
      target: 1,
      baselines: b,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(attributions, Array.from(expected), { atol: 1e-6 });
    expectTensorsClose(delta!, [0, 0], { atol: 1e-5 });
  });

  it('CNN with relu → avg-pool and BN: delta ≈ 0 and equals the literal rescale chain', () => {
    const graph = cnnWith('avgpool2d');
    const x = randomTensor([3, ...sampleShape(graph)], 25);
    const b = randomTensor([3, ...sampleShape(graph)], 26);
    const { attributions, delta } = deepLift(graph, x, {
      target: [2, 0, 1],
      baselines: b,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(delta!, [0, 0, 0], { atol: 1e-5 });
    expectTensorsClose(attributions, literalRescale(graph, x, b, [2, 0, 1]), { atol: 1e-6, rtol: 1e-5 });
  });

  it('CNN with relu → max-pool: the ReLU multiplier sees the plain pool gradient (Captum hook order), batch = per-sample', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([3, ...sampleShape(graph)], 25);
    const b = randomTensor([3, ...sampleShape(graph)], 26);
    const { attributions, delta } = deepLift(graph, x, {
      target: [2, 0, 1],
      baselines: b,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(attributions, literalRescale(graph, x, b, [2, 0, 1]), { atol: 1e-6, rtol: 1e-5 });
    // So, as in Captum's fixtures, completeness does not hold where the two halves' argmaxes differ.
    expect(Math.max(...Array.from(delta!.dataSync(), Math.abs))).toBeGreaterThan(1e-3);
    const rows = [2, 0, 1].map(
      (t, i) => deepLift(graph, tf.slice(x, i, 1), { target: t, baselines: tf.slice(b, i, 1) }).attributions,
    );
    expectTensorsClose(attributions, tf.concat(rows, 0), { atol: 1e-6, rtol: 1e-5 });
  });

  it('baselines: number, one-sample tensor and full tensor agree; multiplyByInputs=false gives the multipliers', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 27);
    const full = deepLift(graph, x, { target: 0, baselines: tf.fill([2, 3], 0.3) }).attributions;
    expectTensorsClose(deepLift(graph, x, { target: 0, baselines: 0.3 }).attributions, full, {
      atol: 0,
      rtol: 0,
    });
    expectTensorsClose(deepLift(graph, x, { target: 0, baselines: tf.fill([3], 0.3) }).attributions, full, {
      atol: 0,
      rtol: 0,
    });
    const multipliers = deepLift(graph, x, {
      target: 0,
      baselines: 0.3,
      multiplyByInputs: false,
    }).attributions;
    expectTensorsClose(tf.mul(multipliers, tf.sub(x, 0.3)), full, { atol: 1e-7 });
  });

  it('accepts every target form alike', () => {
    const graph = loadModel(tinyModels.residual());
    const x = randomTensor([2, 4], 28);
    const reference = deepLift(graph, x, { target: [1, 0] }).attributions;
    const pick = (out: tf.Tensor) =>
      tf.sum(
        tf.mul(
          out,
          tf.tensor2d(
            [
              [0, 1],
              [1, 0],
              [0, 1],
              [1, 0],
            ].slice(0, out.shape[0]),
          ),
        ),
        1,
      );
    for (const target of [[1, 0], Int32Array.from([1, 0]), tf.tensor1d([1, 0], 'int32'), pick]) {
      expectTensorsClose(deepLift(graph, x, { target }).attributions, reference, { atol: 1e-7 });
    }
    // A function target sees the stacked [x; b] halves separately, each of N rows.
    expectTensorsClose(
      deepLift(graph, tf.slice(x, 0, 1), { target: 1 }).attributions,
      tf.slice(reference, 0, 1),
      { atol: 1e-7 },
    );
  });

  it('leaks nothing, also when it throws', async () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, ...sampleShape(graph)], 34);
    const refs = randomTensor([2, ...sampleShape(graph)], 35);
    await expectNoLeaks(() =>
      deepLift(graph, x, { target: 1, baselines: refs, returnConvergenceDelta: true }),
    );
    await expectNoLeaks(() => deepLift(graph, x, { target: 1, multiplyByInputs: false }));
    await expectNoLeaks(() => expect(() => deepLift(graph, x, { target: 3 })).toThrow(InvalidArgumentError));
    const nanBaseline = tf.fill([4, 4, 2], NaN);
    await expectNoLeaks(() =>
      expect(() => deepLift(graph, x, { target: 0, baselines: nanBaseline })).toThrow(InvalidArgumentError),
    );
  });

  it('throws typed errors naming the argument and the function', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 36);
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.zeros([3, 3]) })).toThrow(ShapeMismatchError);
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.zeros([3, 3]) })).toThrow(
      /'baselines' passed to 'deepLift' must have shape/,
    );
    expect(() => deepLift(graph, x, { target: 5 })).toThrow(
      /'target' passed to 'deepLift' must be a class index in \[0, 2\), but got 5/,
    );
    expect(() => deepLift(graph, x)).toThrow(InvalidArgumentError);
    expect(() => deepLift(graph, tf.tensor2d([[0, NaN, 0]]), { target: 0 })).toThrow(
      /'inputs' passed to 'deepLift' must be finite/,
    );
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.fill([3], NaN) })).toThrow(
      /'baselines' passed to 'deepLift' must be finite/,
    );
    expect(() => deepLift(graph, x, { target: 0, eps: -1 })).toThrow(/'eps' passed to 'deepLift'/);
    expect(() => deepLift(graph, x, { target: 0, multiplyByInputs: 'yes' as unknown as boolean })).toThrow(
      /'multiplyByInputs' passed to 'deepLift'/,
    );
  });
});

describeWithBackends('deepLift smoke', ['wasm'], () => {
  it('completes on a CNN (delta ≈ 0) and matches the literal MLP', () => {
    const graph = cnnWith('avgpool2d');
    const x = randomTensor([2, ...sampleShape(graph)], 37);
    const { delta } = deepLift(graph, x, { target: 1, baselines: 0.2, returnConvergenceDelta: true });
    expectTensorsClose(delta!, [0, 0], { atol: 1e-4 });
    const spec = tinyModels.mlp();
    const xm = randomTensor([2, 3], 38);
    const literal = literalDeepLiftMlp(
      literalMlpFromSpec(spec),
      xm.arraySync() as number[][],
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      [0, 0],
    );
    expectTensorsClose(
      deepLift(loadModel(spec), xm, { target: 0 }).attributions,
      literal.map((r) => r.input).flat(),
      { atol: 1e-5, rtol: 1e-4 },
    );
  });
});
