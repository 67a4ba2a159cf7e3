import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError, UnknownNodeError, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor, tinyModels } from '@attrib/test-utils';
import { deepLift } from './deep-lift.js';
import { layerDeepLift } from './deep-lift-layer.js';
import { neuronDeepLift } from './deep-lift-neuron.js';
import { deepLiftShap } from './deep-lift-shap.js';

type Activation = (z: number) => number;
const activations: Record<string, Activation> = { relu: (z) => Math.max(z, 0), sigmoid: (z) => 1 / (1 + Math.exp(-z)), tanh: Math.tanh };
const derivatives: Record<string, Activation> = {
  relu: (z) => (z > 0 ? 1 : 0),
  sigmoid: (z) => activations.sigmoid(z) * (1 - activations.sigmoid(z)),
  tanh: (z) => 1 - Math.tanh(z) ** 2,
};

/** tinyModels.mlp or .residual with its activation swapped. */
function mlpWith(kind: string, residual = false): Graph {
  const spec = residual ? tinyModels.residual() : tinyModels.mlp();
  return loadModel({ ...spec, nodes: spec.nodes.map((n) => (n.op === 'relu' ? { ...n, op: kind } : n)) });
}

const matrix = (graph: Graph, node: string, param: string) => graph.node(node).module.params[param]?.arraySync() as number[][];
const vector = (graph: Graph, node: string, param: string) => (graph.node(node).module.params[param]?.arraySync() as number[] | undefined) ?? [];

/**
 * DeepLift (rescale) of `x → fc1 → act (→ + x) → fc2`, written from the paper's formula with plain
 * numbers: attr_i = (x_i − b_i)·Σ_j W1[i][j]·m_j·W2[j][t] (+ (x_i − b_i)·W2[i][t] for the skip),
 * m_j = Δact_j/Δz_j, or act'(z_j) where |Δz_j| < 1e-10. Also returns per-layer quantities.
 */
function literalMlp(graph: Graph, kind: string, x: number[][], b: number[][], targets: number[], residual = false) {
  const [w1, b1, w2] = [matrix(graph, 'fc1', 'weight'), vector(graph, 'fc1', 'bias'), matrix(graph, 'fc2', 'weight')];
  const f = activations[kind];
  const rows = x.map((xs, n) => {
    const bs = b[n];
    const t = targets[n];
    const z = (v: number[]) => b1.map((bias, j) => bias + v.reduce((s, vi, i) => s + vi * w1[i][j], 0));
    const [zx, zb] = [z(xs), z(bs)];
    const m = zx.map((zj, j) => (Math.abs(zj - zb[j]) < 1e-10 ? derivatives[kind](zj) : (f(zj) - f(zb[j])) / (zj - zb[j])));
    const input = xs.map((xi, i) => (xi - bs[i]) * (zx.reduce((s, _, j) => s + w1[i][j] * m[j] * w2[j][t], 0) + (residual ? w2[i][t] : 0)));
    return {
      input,
      fc1Output: zx.map((zj, j) => (zj - zb[j]) * m[j] * w2[j][t]),
      actInput: zx.map((zj, j) => (zj - zb[j]) * derivatives[kind](zj) * w2[j][t]),
      actOutput: zx.map((zj, j) => (f(zj) - f(zb[j])) * w2[j][t]),
      neuron: (j: number) => xs.map((xi, i) => (xi - bs[i]) * w1[i][j] * m[j]),
    };
  });
  return rows;
}

/** tinyModels.cnn with another pool. */
function cnnWith(pool: string): Graph {
  const spec = tinyModels.cnn();
  return loadModel({ ...spec, nodes: spec.nodes.map((n) => (n.op === 'maxpool2d' ? { ...n, op: pool } : n)) });
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
            return [node.name, tf.where(tf.less(tf.abs(dz), 1e-10), tf.step(a), tf.div(tf.sub(tf.relu(a), tf.relu(c)), dz))] as const;
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
          const rescaled = tf.customGrad((z: tf.Tensor | tf.GradSaveFunc) => ({ value: tf.relu(z as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.mul(dy, m) }));
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
  for (const kind of ['relu', 'sigmoid', 'tanh']) {
    for (const residual of [false, true]) {
      it(`${kind}${residual ? ' residual' : ''} MLP: equals the literal rescale rule, with delta ≈ 0`, () => {
        const graph = mlpWith(kind, residual);
        const d = residual ? 4 : 3;
        const x = randomTensor([3, d], 21);
        const b = randomTensor([3, d], 22);
        const targets = [0, 1, 1];
        const literal = literalMlp(graph, kind, x.arraySync() as number[][], b.arraySync() as number[][], targets, residual);
        const { attributions, delta } = deepLift(graph, x, { target: targets, baselines: b, returnConvergenceDelta: true });
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
        { name: 'fc', op: 'linear', inputs: ['flatten'], weight: { shape: [4, 2], data: [0.5, -1, 2, 0.25, -0.75, 1.5, 1, -0.5] }, bias: null },
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
    const { attributions, delta } = deepLift(graph, x, { target: 1, baselines: b, returnConvergenceDelta: true });
    expectTensorsClose(attributions, Array.from(expected), { atol: 1e-6 });
    expectTensorsClose(delta!, [0, 0], { atol: 1e-5 });
  });

  it('CNN with relu → avg-pool and BN: delta ≈ 0 and equals the literal rescale chain', () => {
    const graph = cnnWith('avgpool2d');
    const x = randomTensor([3, ...sampleShape(graph)], 25);
    const b = randomTensor([3, ...sampleShape(graph)], 26);
    const { attributions, delta } = deepLift(graph, x, { target: [2, 0, 1], baselines: b, returnConvergenceDelta: true });
    expectTensorsClose(delta!, [0, 0, 0], { atol: 1e-5 });
    expectTensorsClose(attributions, literalRescale(graph, x, b, [2, 0, 1]), { atol: 1e-6, rtol: 1e-5 });
  });

  it('CNN with relu → max-pool: the ReLU multiplier sees the plain pool gradient (Captum hook order), batch = per-sample', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([3, ...sampleShape(graph)], 25);
    const b = randomTensor([3, ...sampleShape(graph)], 26);
    const { attributions, delta } = deepLift(graph, x, { target: [2, 0, 1], baselines: b, returnConvergenceDelta: true });
    expectTensorsClose(attributions, literalRescale(graph, x, b, [2, 0, 1]), { atol: 1e-6, rtol: 1e-5 });
    // So, as in Captum's fixtures, completeness does not hold where the two halves' argmaxes differ.
    expect(Math.max(...Array.from(delta!.dataSync(), Math.abs))).toBeGreaterThan(1e-3);
    const rows = [2, 0, 1].map((t, i) => deepLift(graph, tf.slice(x, i, 1), { target: t, baselines: tf.slice(b, i, 1) }).attributions);
    expectTensorsClose(attributions, tf.concat(rows, 0), { atol: 1e-6, rtol: 1e-5 });
  });

  it('baselines: number, one-sample tensor and full tensor agree; multiplyByInputs=false gives the multipliers', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 27);
    const full = deepLift(graph, x, { target: 0, baselines: tf.fill([2, 3], 0.3) }).attributions;
    expectTensorsClose(deepLift(graph, x, { target: 0, baselines: 0.3 }).attributions, full, { atol: 0, rtol: 0 });
    expectTensorsClose(deepLift(graph, x, { target: 0, baselines: tf.fill([3], 0.3) }).attributions, full, { atol: 0, rtol: 0 });
    const multipliers = deepLift(graph, x, { target: 0, baselines: 0.3, multiplyByInputs: false }).attributions;
    expectTensorsClose(tf.mul(multipliers, tf.sub(x, 0.3)), full, { atol: 1e-7 });
  });

  it('accepts every target form alike', () => {
    const graph = loadModel(tinyModels.residual());
    const x = randomTensor([2, 4], 28);
    const reference = deepLift(graph, x, { target: [1, 0] }).attributions;
    const pick = (out: tf.Tensor) => tf.sum(tf.mul(out, tf.tensor2d([[0, 1], [1, 0], [0, 1], [1, 0]].slice(0, out.shape[0]))), 1);
    for (const target of [[1, 0], Int32Array.from([1, 0]), tf.tensor1d([1, 0], 'int32'), pick]) {
      expectTensorsClose(deepLift(graph, x, { target }).attributions, reference, { atol: 1e-7 });
    }
    // A function target sees the stacked [x; b] halves separately, each of N rows.
    expectTensorsClose(deepLift(graph, tf.slice(x, 0, 1), { target: 1 }).attributions, tf.slice(reference, 0, 1), { atol: 1e-7 });
  });

  it('layerDeepLift: literal values at a linear output, an activation output and (plain-gradient quirk) its input', () => {
    const graph = mlpWith('relu');
    const x = randomTensor([2, 3], 29);
    const literal = literalMlp(graph, 'relu', x.arraySync() as number[][], [[0, 0, 0], [0, 0, 0]], [1, 1]);
    const fc1 = layerDeepLift(graph, x, { layer: 'fc1', target: 1, returnConvergenceDelta: true });
    expectTensorsClose(fc1.attributions, literal.map((r) => r.fc1Output).flat(), { atol: 1e-6 });
    expectTensorsClose(fc1.delta!, [0, 0], { atol: 1e-5 });
    const out = layerDeepLift(graph, x, { layer: 'relu1', target: 1, returnConvergenceDelta: true });
    expectTensorsClose(out.attributions, literal.map((r) => r.actOutput).flat(), { atol: 1e-6 });
    expectTensorsClose(out.delta!, [0, 0], { atol: 1e-5 });
    const atInput = layerDeepLift(graph, x, { layer: 'relu1', target: 1, attributeToLayerInput: true });
    expectTensorsClose(atInput.attributions, literal.map((r) => r.actInput).flat(), { atol: 1e-6 });
  });

  it('neuronDeepLift: literal values, and Σ attr = neuron(x) − neuron(b)', () => {
    const graph = mlpWith('tanh');
    const x = randomTensor([2, 3], 30);
    const b = randomTensor([2, 3], 31);
    const literal = literalMlp(graph, 'tanh', x.arraySync() as number[][], b.arraySync() as number[][], [0, 0]);
    const act = neuronDeepLift(graph, x, { layer: 'relu1', neuron: 2, baselines: b }).attributions;
    expectTensorsClose(act, literal.map((r) => r.neuron(2)).flat(), { atol: 1e-6 });
    const neuronValue = (v: tf.Tensor) => tf.tidy(() => tf.reshape(tf.slice(graph.forward(v).values.get('relu1')!, [0, 2], [-1, 1]), [-1]));
    expectTensorsClose(tf.sum(act, 1), tf.sub(neuronValue(x), neuronValue(b)), { atol: 1e-6 });
    const before = neuronDeepLift(graph, x, { layer: 'relu1', neuron: [2], baselines: b, attributeToNeuronInput: true }).attributions;
    const w1 = matrix(graph, 'fc1', 'weight');
    const [xs, bs] = [x.arraySync() as number[][], b.arraySync() as number[][]];
    expectTensorsClose(before, xs.map((row, n) => row.map((xi, i) => (xi - bs[n][i]) * w1[i][2])).flat(), { atol: 1e-6 });
  });

  it('deepLiftShap: the mean over baselines of DeepLift against each, with per-pair deltas', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, ...sampleShape(graph)], 32);
    const refs = randomTensor([3, ...sampleShape(graph)], 33);
    const { attributions, delta } = deepLiftShap(graph, x, { target: [0, 2], baselines: refs, returnConvergenceDelta: true });
    const each = [0, 1, 2].map((k) => deepLift(graph, x, { target: [0, 2], baselines: tf.slice(refs, k, 1), returnConvergenceDelta: true }));
    expectTensorsClose(attributions, tf.div(tf.addN(each.map((e) => e.attributions)), 3), { atol: 1e-6, rtol: 1e-5 });
    // Ordered by sample, then baseline.
    const pairDeltas = [0, 1].flatMap((n) => each.map((e) => e.delta!.dataSync()[n]));
    expectTensorsClose(delta!, pairDeltas, { atol: 1e-6 });
  });

  it('leaks nothing, also when it throws', async () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, ...sampleShape(graph)], 34);
    const refs = randomTensor([2, ...sampleShape(graph)], 35);
    await expectNoLeaks(() => deepLift(graph, x, { target: 1, baselines: refs, returnConvergenceDelta: true }));
    await expectNoLeaks(() => layerDeepLift(graph, x, { layer: 'relu', target: 1, returnConvergenceDelta: true }));
    await expectNoLeaks(() => layerDeepLift(graph, x, { layer: 'pool', target: 1, attributeToLayerInput: true }));
    await expectNoLeaks(() => neuronDeepLift(graph, x, { layer: 'pool', neuron: [1, 1, 2], baselines: 0.1 }));
    await expectNoLeaks(() => deepLiftShap(graph, x, { target: [0, 1], baselines: refs, returnConvergenceDelta: true }));
    await expectNoLeaks(() => expect(() => deepLift(graph, x, { target: 3 })).toThrow(InvalidArgumentError));
    await expectNoLeaks(() => expect(() => layerDeepLift(graph, x, { layer: 'bn', target: 3 })).toThrow(InvalidArgumentError));
    await expectNoLeaks(() => expect(() => neuronDeepLift(graph, x, { layer: 'bn', neuron: 99 })).toThrow(InvalidArgumentError));
    expect(graph.hooks).toHaveLength(0);
  });

  it('throws typed errors naming the argument and the function', () => {
    const graph = loadModel(tinyModels.mlp());
    const x = randomTensor([2, 3], 36);
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.zeros([3, 3]) })).toThrow(ShapeMismatchError);
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.zeros([3, 3]) })).toThrow(/'baselines' passed to 'deepLift' must have shape/);
    expect(() => deepLift(graph, x, { target: 5 })).toThrow(/'target' passed to 'deepLift' must be a class index in \[0, 2\), but got 5/);
    expect(() => deepLift(graph, x)).toThrow(InvalidArgumentError);
    expect(() => deepLift(graph, tf.tensor2d([[0, NaN, 0]]), { target: 0 })).toThrow(/'inputs' passed to 'deepLift' must be finite/);
    expect(() => deepLift(graph, x, { target: 0, baselines: tf.fill([3], NaN) })).toThrow(/'baselines' passed to 'deepLift' must be finite/);
    expect(() => deepLift(graph, x, { target: 0, eps: -1 })).toThrow(/'eps' passed to 'deepLift'/);
    expect(() => layerDeepLift(graph, x, { layer: 'fc9', target: 0 })).toThrow(UnknownNodeError);
    expect(() => neuronDeepLift(graph, x, { layer: 'fc9', neuron: 0 })).toThrow(UnknownNodeError);
    expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: [0, 0] })).toThrow(/'neuron' passed to 'neuronDeepLift'/);
    expect(() => neuronDeepLift(graph, x, { layer: 'fc1', neuron: -1 })).toThrow(InvalidArgumentError);
    expect(() => deepLiftShap(graph, x, { target: 0, baselines: tf.zeros([4, 2]) })).toThrow(ShapeMismatchError);
    expect(() => deepLiftShap(graph, x, { target: [0, 1, 1], baselines: tf.zeros([4, 3]) })).toThrow(/'target' passed to 'deepLiftShap'/);
  });
});

describeWithBackends('deepLift smoke', ['wasm'], () => {
  it('completes on a CNN (delta ≈ 0) and on the literal MLP', () => {
    const graph = cnnWith('avgpool2d');
    const x = randomTensor([2, ...sampleShape(graph)], 37);
    const { delta } = deepLift(graph, x, { target: 1, baselines: 0.2, returnConvergenceDelta: true });
    expectTensorsClose(delta!, [0, 0], { atol: 1e-4 });
    const mlp = mlpWith('relu');
    const xm = randomTensor([2, 3], 38);
    const literal = literalMlp(mlp, 'relu', xm.arraySync() as number[][], [[0, 0, 0], [0, 0, 0]], [0, 0]);
    expectTensorsClose(deepLift(mlp, xm, { target: 0 }).attributions, literal.map((r) => r.input).flat(), { atol: 1e-5, rtol: 1e-4 });
  });
});
