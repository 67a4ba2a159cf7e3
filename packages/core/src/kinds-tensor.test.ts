import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectGradientsMatchFiniteDifferences,
  expectNoLeaks,
  expectSecondOrderMatchesFiniteDifferences,
  expectTensorsClose,
  randomTensor,
} from '@attrib/test-utils';
import {
  GraphBuilder,
  GraphError,
  InvalidArgumentError,
  ShapeMismatchError,
  createModule,
  loadModel,
  type JsonModel,
} from './index.js';

/*
 * The shape, arithmetic and text kinds against literal float64 loops over row-major arrays (never the
 * tfjs op under test), input and parameter gradients against central finite differences, second order,
 * leaks, the JSON loader, and typed errors for bad configurations, on cpu and wasm.
 */

/** A row-major float64 array with its shape. */
interface Arr {
  shape: number[];
  data: Float64Array;
}
const arr = (t: tf.Tensor): Arr => ({ shape: [...t.shape], data: Float64Array.from(t.dataSync()) });
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const toTensor = (a: Arr) => tf.tensor(Float32Array.from(a.data), a.shape);
/** Multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return index;
}
const ravel = (index: readonly number[], shape: readonly number[]) =>
  index.reduce((acc, v, a) => acc * shape[a]! + v, 0);
/** Builds an array of `shape` from a function of each multi-index. */
function build(shape: number[], value: (index: number[]) => number): Arr {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(unravel(i, shape));
  return { shape, data };
}
const at = (a: Arr, index: readonly number[]) => a.data[ravel(index, a.shape)]!;

/** Numpy broadcasting, written out: right-align the shapes, size-1 axes repeat. */
function literalBroadcast(a: Arr, b: Arr, op: (x: number, y: number) => number): Arr {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const pick = (s: number[], index: number[]) => index.map((v, i) => (s[i] === 1 ? 0 : v));
  return build(shape, (index) =>
    op(a.data[ravel(pick(sa, index), sa)]!, b.data[ravel(pick(sb, index), sb)]!),
  );
}

/** Batched matrix product over the last two axes, leading axes broadcast. */
function literalMatmul(a: Arr, b: Arr, transposeA: boolean, transposeB: boolean): Arr {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const lead = Math.max(ra, rb) - 2;
  const padA = [...new Array<number>(lead - (ra - 2)).fill(1), ...a.shape.slice(0, -2)];
  const padB = [...new Array<number>(lead - (rb - 2)).fill(1), ...b.shape.slice(0, -2)];
  const batch = padA.map((d, i) => Math.max(d, padB[i]!));
  return build([...batch, m, n], (index) => {
    const bi = index.slice(0, lead);
    const ia = bi.map((v, i) => (padA[i] === 1 ? 0 : v)).slice(lead - (ra - 2));
    const ib = bi.map((v, i) => (padB[i] === 1 ? 0 : v)).slice(lead - (rb - 2));
    const [i, j] = index.slice(lead);
    let sum = 0;
    for (let p = 0; p < k; p++) {
      const x = at(a, [...ia, ...(transposeA ? [p, i!] : [i!, p])]);
      const y = at(b, [...ib, ...(transposeB ? [j!, p] : [p, j!])]);
      sum += x * y;
    }
    return sum;
  });
}

/** Sum or mean over `axes` (non-negative), kept as size 1 or dropped. */
function literalReduce(x: Arr, axes: number[], keepDims: boolean, mean: boolean): Arr {
  const keptShape = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const out = build(keptShape, () => 0);
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape).map((v, a) => (axes.includes(a) ? 0 : v));
    out.data[ravel(index, keptShape)] += x.data[i]!;
  }
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  if (mean) out.data.forEach((v, i) => (out.data[i] = v / count));
  return keepDims ? out : { shape: x.shape.filter((_, a) => !axes.includes(a)), data: out.data };
}

/** Layer norm over `axes` (non-negative): biased variance, then γ and β indexed by the normalised axes. */
function literalLayerNorm(x: Arr, axes: number[], epsilon: number, gamma?: Arr, beta?: Arr): Arr {
  const mean = literalReduce(x, axes, true, true);
  const statIndex = (index: number[]) => index.map((v, a) => (axes.includes(a) ? 0 : v));
  const sq = build(x.shape, (index) => (at(x, index) - at(mean, statIndex(index))) ** 2);
  const variance = literalReduce(sq, axes, true, true);
  return build(x.shape, (index) => {
    const s = statIndex(index);
    let y = (at(x, index) - at(mean, s)) / Math.sqrt(at(variance, s) + epsilon);
    const p = axes.map((a) => index[a]!);
    if (gamma) y *= at(gamma, p);
    if (beta) y += at(beta, p);
    return y;
  });
}

/** Away from 0 by at least 0.5: safe denominators. */
const awayFromZero = (shape: number[], seed: number) =>
  tf.tidy(() => {
    const u = randomTensor(shape, seed);
    return tf.add(u, tf.mul(tf.sign(u), 0.5));
  });

interface Case {
  name: string;
  kind: string;
  config?: Record<string, unknown>;
  /** Float inputs then parameters are differentiated; int32 inputs are held fixed. */
  inputs: () => tf.Tensor[];
  params?: () => Record<string, tf.Tensor>;
  literal: (inputs: Arr[], params: Record<string, Arr>) => Arr;
}

const ids = () =>
  tf.tensor2d(
    [
      [0, 3, 3, 6, 1],
      [2, 2, 5, 0, 6],
    ],
    [2, 5],
    'int32',
  );

const cases: Case[] = [
  {
    name: 'reshape to a per-sample shape with -1',
    kind: 'reshape',
    config: { shape: [4, -1] },
    inputs: () => [randomTensor([2, 3, 4], 1)],
    literal: ([x]) => ({ shape: [2, 4, 3], data: x!.data }),
  },
  {
    name: 'transpose [0, 2, 1, 3] (attention heads)',
    kind: 'transpose',
    config: { perm: [0, 2, 1, 3] },
    inputs: () => [randomTensor([2, 3, 4, 5], 2)],
    literal: ([x]) => build([2, 4, 3, 5], ([n, i, j, k]) => at(x!, [n!, j!, i!, k!])),
  },
  {
    name: 'transpose [0, 3, 1, 2] (NHWC → NCHW)',
    kind: 'transpose',
    config: { perm: [0, 3, 1, 2] },
    inputs: () => [randomTensor([2, 3, 4, 5], 3)],
    literal: ([x]) => build([2, 5, 3, 4], ([n, c, h, w]) => at(x!, [n!, h!, w!, c!])),
  },
  {
    name: 'squeeze a negative axis',
    kind: 'squeeze',
    config: { axes: [-2] },
    inputs: () => [randomTensor([2, 3, 1, 4], 4)],
    literal: ([x]) => ({ shape: [2, 3, 4], data: x!.data }),
  },
  {
    name: 'unsqueeze at output positions 1 and -1',
    kind: 'unsqueeze',
    config: { axes: [1, -1] },
    inputs: () => [randomTensor([2, 3], 5)],
    literal: ([x]) => ({ shape: [2, 1, 3, 1], data: x!.data }),
  },
  {
    name: 'reduceMean over [1, -1]',
    kind: 'reduceMean',
    config: { axes: [1, -1] },
    inputs: () => [randomTensor([2, 3, 4, 5], 6)],
    literal: ([x]) => literalReduce(x!, [1, 3], false, true),
  },
  {
    name: 'reduceMean, every axis but the batch (default), keepDims',
    kind: 'reduceMean',
    config: { keepDims: true },
    inputs: () => [randomTensor([2, 3, 4], 7)],
    literal: ([x]) => literalReduce(x!, [1, 2], true, true),
  },
  {
    name: 'reduceSum over [2], keepDims',
    kind: 'reduceSum',
    config: { axes: [2], keepDims: true },
    inputs: () => [randomTensor([2, 3, 4], 8)],
    literal: ([x]) => literalReduce(x!, [2], true, false),
  },
  {
    name: 'concat on axis -2',
    kind: 'concat',
    config: { axis: -2 },
    inputs: () => [randomTensor([2, 3, 4], 9), randomTensor([2, 2, 4], 10)],
    literal: ([a, b]) =>
      build([2, 5, 4], ([n, i, j]) => (i! < 3 ? at(a!, [n!, i!, j!]) : at(b!, [n!, i! - 3, j!]))),
  },
  {
    name: 'concat on axis 1 of rank 4',
    kind: 'concat',
    config: { axis: 1 },
    inputs: () => [randomTensor([2, 1, 3, 2], 11), randomTensor([2, 2, 3, 2], 12)],
    literal: ([a, b]) =>
      build([2, 3, 3, 2], ([n, i, j, k]) =>
        i! < 1 ? at(a!, [n!, i!, j!, k!]) : at(b!, [n!, i! - 1, j!, k!]),
      ),
  },
  {
    name: 'slice over every axis (begin, size)',
    kind: 'slice',
    config: { begin: [0, 1, 0], size: [-1, 2, 3] },
    inputs: () => [randomTensor([2, 4, 5], 13)],
    literal: ([x]) => build([2, 2, 3], ([n, i, j]) => at(x!, [n!, i! + 1, j!])),
  },
  {
    name: 'slice with axes [-1, 1] and a negative begin',
    kind: 'slice',
    config: { axes: [-1, 1], begin: [-3, 1], size: [2, -1] },
    inputs: () => [randomTensor([2, 4, 5], 14)],
    literal: ([x]) => build([2, 3, 2], ([n, i, j]) => at(x!, [n!, i! + 1, j! + 2])),
  },
  {
    name: 'sub, same shapes',
    kind: 'sub',
    inputs: () => [randomTensor([2, 3, 4], 15), randomTensor([2, 3, 4], 16)],
    literal: ([a, b]) => literalBroadcast(a!, b!, (x, y) => x - y),
  },
  {
    name: 'mul, a [1, 4] constant broadcast over [N, 3, 4]',
    kind: 'mul',
    inputs: () => [randomTensor([2, 3, 4], 17), randomTensor([1, 4], 18)],
    literal: ([a, b]) => literalBroadcast(a!, b!, (x, y) => x * y),
  },
  {
    name: 'mul, [N, 3, 1] against [N, 1, 4]',
    kind: 'mul',
    inputs: () => [randomTensor([2, 3, 1], 19), randomTensor([2, 1, 4], 20)],
    literal: ([a, b]) => literalBroadcast(a!, b!, (x, y) => x * y),
  },
  {
    name: 'div, broadcast denominator',
    kind: 'div',
    inputs: () => [randomTensor([2, 3, 4], 21), awayFromZero([2, 3, 1], 22)],
    literal: ([a, b]) => literalBroadcast(a!, b!, (x, y) => x / y),
  },
  {
    name: 'matmul, batched over heads',
    kind: 'matmul',
    inputs: () => [randomTensor([2, 3, 4, 5], 23), randomTensor([2, 3, 5, 2], 24)],
    literal: ([a, b]) => literalMatmul(a!, b!, false, false),
  },
  {
    name: 'matmul, transposeB (Q·Kᵀ)',
    kind: 'matmul',
    config: { transposeB: true },
    inputs: () => [randomTensor([2, 4, 3], 25), randomTensor([2, 4, 3], 26)],
    literal: ([a, b]) => literalMatmul(a!, b!, false, true),
  },
  {
    name: 'matmul, transposeA, a [1, 5, 2] constant broadcast over [N, 3, 5, 4]',
    kind: 'matmul',
    config: { transposeA: true },
    inputs: () => [randomTensor([2, 3, 5, 4], 27), randomTensor([1, 5, 2], 28)],
    literal: ([a, b]) => literalMatmul(a!, b!, true, false),
  },
  {
    name: 'constant',
    kind: 'constant',
    inputs: () => [],
    params: () => ({ value: randomTensor([3, 4], 29) }),
    literal: (_x, { value }) => ({ shape: [1, 3, 4], data: value!.data }),
  },
  {
    name: 'scaleShift, per channel',
    kind: 'scaleShift',
    inputs: () => [randomTensor([2, 3, 4], 30)],
    params: () => ({ scale: randomTensor([4], 31), shift: randomTensor([4], 32) }),
    literal: ([x], { scale, shift }) =>
      build([2, 3, 4], ([n, i, c]) => at(x!, [n!, i!, c!]) * at(scale!, [c!]) + at(shift!, [c!])),
  },
  {
    name: 'scaleShift, scale only, per element of a sample',
    kind: 'scaleShift',
    inputs: () => [randomTensor([2, 3, 4], 33)],
    params: () => ({ scale: randomTensor([3, 4], 34) }),
    literal: ([x], { scale }) => build([2, 3, 4], ([n, i, c]) => at(x!, [n!, i!, c!]) * at(scale!, [i!, c!])),
  },
  {
    name: 'embedding (repeated ids: the weight gradient sums rows)',
    kind: 'embedding',
    inputs: () => [ids()],
    params: () => ({ weight: randomTensor([7, 4], 35) }),
    literal: ([i], { weight }) => build([2, 5, 4], ([n, l, d]) => at(weight!, [at(i!, [n!, l!]), d!])),
  },
  {
    name: 'layerNorm over the last axis, affine',
    kind: 'layerNorm',
    inputs: () => [randomTensor([2, 3, 6], 36)],
    params: () => ({ gamma: randomTensor([6], 37, 0.5, 1.5), beta: randomTensor([6], 38) }),
    literal: ([x], { gamma, beta }) => literalLayerNorm(x!, [2], 1e-5, gamma, beta),
  },
  {
    name: 'layerNorm without affine, epsilon 1e-3',
    kind: 'layerNorm',
    config: { epsilon: 1e-3 },
    inputs: () => [randomTensor([2, 3, 6], 39)],
    literal: ([x]) => literalLayerNorm(x!, [2], 1e-3),
  },
  {
    name: 'layerNorm over axes [1, 2] of rank 4',
    kind: 'layerNorm',
    config: { axes: [1, 2] },
    inputs: () => [randomTensor([2, 3, 4, 2], 40)],
    params: () => ({ gamma: randomTensor([3, 4], 41, 0.5, 1.5), beta: randomTensor([3, 4], 42) }),
    literal: ([x], { gamma, beta }) => literalLayerNorm(x!, [1, 2], 1e-5, gamma, beta),
  },
  {
    name: 'layerNorm over a middle axis (-2), γ broadcast over the last',
    kind: 'layerNorm',
    config: { axes: [-2] },
    inputs: () => [randomTensor([2, 5, 3], 43)],
    params: () => ({ gamma: randomTensor([5], 44, 0.5, 1.5) }),
    literal: ([x], { gamma }) => literalLayerNorm(x!, [1], 1e-5, gamma),
  },
  {
    name: 'dropout (identity at inference)',
    kind: 'dropout',
    config: { rate: 0.1 },
    inputs: () => [randomTensor([2, 3], 45)],
    literal: ([x]) => x!,
  },
];

function jsonTensor(t: tf.Tensor) {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

describeWithBackends('tensor kinds', ['cpu', 'wasm'], () => {
  describe.each(cases)('$name', (c) => {
    /** f(inputs ++ params) for the gradient checks: every tensor it is given is differentiable. */
    const setUp = () => {
      const inputs = c.inputs();
      const params = c.params?.() ?? {};
      const names = Object.keys(params);
      const module = createModule(c.kind, params, c.config ?? {});
      const f = (all: readonly tf.Tensor[]) =>
        module.forward(
          all.slice(0, inputs.length),
          Object.fromEntries(names.map((n, i) => [n, all[inputs.length + i]!])),
        );
      return { inputs, params, module, f, all: [...inputs, ...names.map((n) => params[n]!)] };
    };

    it('forward equals the literal loops, batched', () => {
      tf.tidy(() => {
        const { inputs, params, module } = setUp();
        const expected = c.literal(
          inputs.map(arr),
          Object.fromEntries(Object.entries(params).map(([k, v]) => [k, arr(v)])),
        );
        expectTensorsClose(module.forward(inputs), toTensor(expected), { atol: 1e-5, rtol: 1e-5 });
      });
    });

    it('input and parameter gradients equal finite differences, and so does the second order', () => {
      tf.tidy(() => {
        const { f, all } = setUp();
        expectGradientsMatchFiniteDifferences(f, all);
        expectSecondOrderMatchesFiniteDifferences(f, all);
      });
    });

    it('leaves no tensor behind (graph run; gradient and second order of inputs and params) and loads from JSON alike', async () => {
      const { inputs, params, module, f, all } = setUp();
      const names = inputs.map((_, i) => `in${i}`);
      const graphInputs = inputs.map((t, i) => ({ name: names[i]!, dtype: t.dtype as 'float32' | 'int32' }));
      // A constant reads no graph input; its graph gets an unused one.
      const model =
        graphInputs.length === 0
          ? new GraphBuilder({ name: 'unused' }).module('k', module, []).build()
          : new GraphBuilder(...graphInputs).module('k', module, names).build();
      const feed = graphInputs.length === 0 ? [tf.zeros([2, 1])] : inputs;
      const floats = all.filter((t) => t.dtype === 'float32');
      const withFloats = (vs: readonly tf.Tensor[]) => {
        let k = 0;
        return all.map((t) => (t.dtype === 'float32' ? vs[k++]! : t));
      };
      const scale = tf.scalar(1.1);
      await expectNoLeaks(() => model.run(feed));
      await expectNoLeaks(() =>
        tf.grads((...vs: tf.Tensor[]) => tf.sum(tf.square(f(withFloats(vs)))))(floats),
      );
      await expectNoLeaks(() =>
        tf.grad((s: tf.Tensor) =>
          tf.sum(
            tf.grad((v: tf.Tensor) => tf.sum(tf.square(f(withFloats([tf.mul(v, s), ...floats.slice(1)])))))(
              floats[0]!,
            ),
          ),
        )(scale),
      );
      const json: JsonModel = {
        format: 'attrib-model/1',
        input: graphInputs.length === 0 ? { name: 'unused' } : graphInputs,
        nodes: [
          {
            name: 'k',
            op: c.kind,
            inputs: graphInputs.length === 0 ? [] : names,
            ...c.config,
            ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, jsonTensor(v)])),
          },
        ],
        output: 'k',
      };
      const loaded = loadModel(json);
      tf.tidy(() => expectTensorsClose(loaded.run(feed), model.run(feed), { atol: 0, rtol: 0 }));
      tf.dispose([
        ...inputs,
        ...feed,
        scale,
        ...Object.values(params),
        ...Object.values(loaded.node('k').module.params),
      ]);
    });
  });

  const configError = (
    kind: string,
    config: Record<string, unknown>,
    params: Record<string, tf.Tensor> = {},
  ) => {
    try {
      createModule(kind, params, config, 'bad');
    } catch (error) {
      expect(GraphError.isInstance(error)).toBe(true);
      return (error as Error).message;
    } finally {
      tf.dispose(Object.values(params));
    }
    throw new Error(`createModule('${kind}', ${JSON.stringify(config)}) did not throw`);
  };

  it.each([
    ['reshape', { shape: [-1, -1] }, /node 'bad': 'shape' may hold one -1, got \[-1,-1\]/],
    ['reshape', { shape: [0, 3] }, /'shape' must not contain 0/],
    ['reshape', {}, /'shape' must be a list of integers ≥ -1, got undefined/],
    ['transpose', { perm: [1, 0, 2] }, /'perm' must keep the batch axis first/],
    ['transpose', { perm: [0, 2, 2] }, /'perm' must be a permutation of 0…2/],
    ['squeeze', {}, /'axes' must be a list of integers, got undefined/],
    ['unsqueeze', { axes: [] }, /'axes' must list at least one axis/],
    ['reduceSum', { axes: [1], keepDims: 'yes' }, /'keepDims' must be a boolean, got "yes"/],
    ['matmul', { transposeA: 1 }, /'transposeA' must be a boolean, got 1/],
    [
      'slice',
      { begin: [0, 1], size: [-1] },
      /'begin', 'size' \(and 'axes'\) must be integer lists of equal length/,
    ],
    ['slice', { begin: [1], size: [2], axes: [1, 2] }, /equal length/],
    [
      'slice',
      { begin: [1, 0], size: [-1, 2] },
      /the batch axis must be kept whole: begin\[0\] = 0 and size\[0\] = -1, got 1 and -1/,
    ],
    ['slice', { begin: [0, 0], size: [2, 2] }, /got 0 and 2/],
    ['layerNorm', { epsilon: -1 }, /'epsilon' must be a number ≥ 0, got -1/],
    ['dropout', { rate: 1.5 }, /'rate' must be in \[0, 1\), got 1.5/],
    ['scaleShift', {}, /needs a 'scale' or a 'shift' parameter/],
    ['constant', {}, /parameter 'value' is missing/],
    ['embedding', {}, /parameter 'weight' is missing/],
  ])('%s with %j is a GraphError naming the node and the key', (kind, config, message) => {
    expect(configError(kind, config)).toMatch(message);
  });

  it('parameters that do not fit are GraphErrors at build time', () => {
    expect(configError('embedding', {}, { weight: tf.ones([7]) })).toMatch(
      /'weight' must have rank 2, got shape \[7\]/,
    );
    expect(configError('layerNorm', {}, { gamma: tf.ones([4]), beta: tf.ones([5]) })).toMatch(
      /'gamma' \[4\] and 'beta' \[5\] must have one shape/,
    );
  });

  /** Runs a one-node graph and expects a ShapeMismatchError naming the node and `message`. */
  function expectRunError(
    kind: string,
    shapes: number[][],
    options: { config?: Record<string, unknown>; params?: Record<string, tf.Tensor> },
    message: RegExp,
  ) {
    const names = shapes.map((_, i) => `in${i}`);
    const model = new GraphBuilder(...names.map((name) => ({ name })))
      .node('k', kind, { ...options, inputs: names })
      .build();
    const xs = shapes.map((s) => tf.ones(s));
    let error: unknown;
    try {
      model.run(xs);
    } catch (e) {
      error = e;
    }
    tf.dispose([...xs, ...Object.values(options.params ?? {})]);
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`node 'k' \\(${kind}\\)`));
    expect((error as Error).message).toMatch(message);
  }

  it('configurations that do not fit the input are ShapeMismatchErrors naming the node', () => {
    expectRunError('reshape', [[2, 6]], { config: { shape: [5] } }, /could not run/);
    expectRunError(
      'transpose',
      [[2, 3]],
      { config: { perm: [0, 2, 1] } },
      /'perm' \[0,2,1\] has 3 axes, the input 2/,
    );
    expectRunError('squeeze', [[2, 3, 1]], { config: { axes: [1] } }, /names axes of size ≠ 1/);
    expectRunError('squeeze', [[1, 3]], { config: { axes: [0] } }, /'axes' must not be the batch axis 0/);
    expectRunError('unsqueeze', [[2, 3]], { config: { axes: [0] } }, /must not be the batch axis/);
    expectRunError('reduceMean', [[2, 3]], { config: { axes: [-2] } }, /must not be the batch axis/);
    expectRunError(
      'concat',
      [
        [2, 3],
        [2, 3],
      ],
      { config: { axis: -2 } },
      /'axis' must not be the batch axis 0, got -2/,
    );
    expectRunError(
      'slice',
      [[2, 3]],
      { config: { axes: [0], begin: [0], size: [1] } },
      /must not be the batch axis/,
    );
    expectRunError(
      'reduceSum',
      [[2, 3]],
      { config: { axes: [2] } },
      /'axes' must be an integer axis in \[-2, 2\)/,
    );
    expectRunError('layerNorm', [[2, 3, 4]], { config: { axes: [1, 1] } }, /'axes' repeats an axis/);
    expectRunError(
      'layerNorm',
      [[2, 3, 4]],
      { params: { gamma: tf.ones([3]) } },
      /'gamma' has shape \[3\], expected \[4\]/,
    );
    expectRunError(
      'matmul',
      [
        [2, 3],
        [3, 2],
      ],
      {},
      /both inputs need rank ≥ 3/,
    );
    expectRunError(
      'mul',
      [
        [2, 3],
        [2, 2, 3],
      ],
      {},
      /input 0 of shape \[2,3\] has a lower rank .* would mix samples/,
    );
    expectRunError(
      'matmul',
      [
        [2, 2, 4, 5],
        [2, 5, 6],
      ],
      {},
      /input 1 of shape \[2,5,6\] .* would mix samples/,
    );
    expectRunError(
      'scaleShift',
      [[2, 3]],
      { params: { scale: tf.ones([2, 3]) } },
      /'scale' of shape \[2,3\] must have a lower rank/,
    );
  });

  describe('integer inputs (token ids) and the embedding', () => {
    const weight = () => randomTensor([7, 4], 50);

    it('a graph input declared int32 refuses floats with a typed error naming it, one declared float32 refuses ids', () => {
      const w = weight();
      const model = new GraphBuilder({ name: 'ids', shape: [null, 5], dtype: 'int32' })
        .node('emb', 'embedding', { params: { weight: w } })
        .build();
      const i = ids();
      const floatIds = tf.cast(i, 'float32');
      tf.tidy(() => expect(model.run(i).shape).toEqual([2, 5, 4]));
      expect(() => model.run(floatIds)).toThrow(InvalidArgumentError);
      expect(() => model.run(floatIds)).toThrow(
        "Argument 'inputs' passed to 'graph.run': input 'ids' must be an int32 tensor (integer ids), but got a float32 tensor.",
      );
      const floatModel = new GraphBuilder({ name: 'x', dtype: 'float32' }).node('r', 'relu').build();
      expect(() => floatModel.run(i)).toThrow("input 'x' must be a float32 tensor, but got a int32 tensor.");
      tf.dispose([w, i, floatIds]);
    });

    it('an undeclared dtype is a GraphError naming the input; loadModel reads dtype', () => {
      expect(() =>
        new GraphBuilder({ name: 'ids', dtype: 'int8' as 'int32' }).node('r', 'relu').build(),
      ).toThrow(/graph input 'ids' has dtype "int8"; expected 'float32' or 'int32'/);
      const w = weight();
      const loaded = loadModel({
        input: { name: 'ids', shape: [null, 5], dtype: 'int32' },
        nodes: [{ name: 'emb', op: 'embedding', inputs: ['ids'], weight: jsonTensor(w) }],
        output: 'emb',
      });
      expect(loaded.inputs[0]!.dtype).toBe('int32');
      const i = ids();
      tf.tidy(() => expectTensorsClose(loaded.run(i), tf.gather(w, i), { atol: 0, rtol: 0 }));
      tf.dispose([w, i, ...Object.values(loaded.node('emb').module.params)]);
    });

    it('float ids or ids outside the vocabulary are ShapeMismatchErrors naming the node', () => {
      const w = weight();
      const model = new GraphBuilder({ name: 'x' })
        .node('emb', 'embedding', { params: { weight: w } })
        .build();
      const floats = tf.ones([2, 3]);
      expect(() => model.run(floats)).toThrow(ShapeMismatchError);
      expect(() => model.run(floats)).toThrow(/node 'emb' \(embedding\).*the ids must be int32, got float32/);
      const tooLarge = tf.tensor2d([[0, 7]], [1, 2], 'int32');
      const negative = tf.tensor2d([[-1, 2]], [1, 2], 'int32');
      expect(() => model.run(tooLarge)).toThrow(
        /node 'emb' \(embedding\).*the index value 7 is not in \[0, 6\]/,
      );
      expect(() => model.run(negative)).toThrow(
        /node 'emb' \(embedding\).*the index value -1 is not in \[0, 6\]/,
      );
      tf.dispose([w, floats, tooLarge, negative]);
    });
  });

  it('a constant node has no inputs in the builder and in the JSON loader, and broadcasts over the batch', () => {
    const value = randomTensor([3], 60);
    const model = new GraphBuilder({ name: 'x', shape: [null, 3] })
      .node('c', 'constant', { params: { value } })
      .node('y', 'add', { inputs: ['x', 'c'] })
      .build();
    expect(model.node('c').inputs).toEqual([]);
    const loaded = loadModel({
      input: { name: 'x', shape: [null, 3] },
      nodes: [
        { name: 'c', op: 'constant', inputs: [], value: jsonTensor(value) },
        { name: 'y', op: 'sub', inputs: ['x', 'c'] },
      ],
      output: 'y',
    });
    const x = randomTensor([4, 3], 61);
    tf.tidy(() => {
      const v = arr(value);
      const xs = arr(x);
      expectTensorsClose(model.run(x), toTensor(build([4, 3], ([n, i]) => at(xs, [n!, i!]) + v.data[i!]!)));
      expectTensorsClose(loaded.run(x), toTensor(build([4, 3], ([n, i]) => at(xs, [n!, i!]) - v.data[i!]!)));
    });
    expect(() =>
      loadModel({
        input: { name: 'x' },
        nodes: [{ name: 'c', op: 'constant', inputs: ['x'], value: jsonTensor(value) }],
        output: 'c',
      }),
    ).toThrow(/node 'c' \(constant\) takes 0 input\(s\), got 1/);
    tf.dispose([value, x, ...Object.values(loaded.node('c').module.params)]);
  });
});
