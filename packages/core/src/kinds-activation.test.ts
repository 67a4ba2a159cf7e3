import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectGradientsMatchFiniteDifferences,
  expectNoLeaks,
  expectSecondOrderMatchesFiniteDifferences,
  expectTensorsClose,
  randomTensor,
  seededRandom,
} from '@attrib/test-utils';
import {
  GraphBuilder,
  GraphError,
  ShapeMismatchError,
  createModule,
  loadModel,
  type JsonModel,
} from './index.js';

/*
 * Every activation kind against a literal float64 formula (Math functions and plain loops, never the tfjs
 * op it is built from), its input and parameter gradients against central finite differences, a
 * second-order gradient, a leak check, the JSON loader, and typed errors for bad configurations.
 */

/** erf by its Maclaurin series (float64; |x| ≤ 5 keeps the alternating terms' cancellation below 1e-9). */
function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const relu6 = (x: number) => Math.min(Math.max(x, 0), 6);
const hardSigmoid = (x: number, a: number, b: number) => Math.max(0, Math.min(1, a * x + b));

/** Uniform values in [low, high), each at least 0.05 from every kink (finite differences use h = 0.01). */
function awayFromKinks(shape: number[], seed: number, low: number, high: number, kinks: number[]): tf.Tensor {
  const next = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, () => {
    let v = low + (high - low) * next();
    for (const k of kinks) if (Math.abs(v - k) < 0.05) v = k + 0.1;
    return v;
  });
  return tf.tensor(data, shape);
}

interface Case {
  name: string;
  kind: string;
  config?: Record<string, unknown>;
  params?: () => Record<string, tf.Tensor>;
  /** y at flat index i of a [3, 4, 5] input. */
  literal: (x: number, i: number) => number;
  range?: [number, number];
  kinks?: number[];
}

const SHAPE = [3, 4, 5];
const alphaLast = [0.1, -0.2, 0.3, 0.25, 0.05];

const cases: Case[] = [
  { name: 'relu6', kind: 'relu6', literal: relu6, range: [-3, 8], kinks: [0, 6] },
  {
    name: 'clip [-0.5, 1.5]',
    kind: 'clip',
    config: { min: -0.5, max: 1.5 },
    literal: (x) => Math.min(Math.max(x, -0.5), 1.5),
    kinks: [-0.5, 1.5],
  },
  {
    name: 'clip max only',
    kind: 'clip',
    config: { max: 0.5 },
    literal: (x) => Math.min(x, 0.5),
    kinks: [0.5],
  },
  {
    name: 'gelu (erf)',
    kind: 'gelu',
    literal: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  },
  {
    name: 'gelu (tanh)',
    kind: 'gelu',
    config: { approximate: 'tanh' },
    literal: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  },
  { name: 'swish (silu)', kind: 'swish', literal: (x) => x / (1 + Math.exp(-x)) },
  {
    name: 'swish beta 1.5',
    kind: 'swish',
    config: { beta: 1.5 },
    literal: (x) => x / (1 + Math.exp(-1.5 * x)),
  },
  {
    name: 'selu',
    kind: 'selu',
    literal: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
    kinks: [0],
  },
  {
    name: 'hardSigmoid (ONNX/tfjs-layers defaults 0.2, 0.5)',
    kind: 'hardSigmoid',
    literal: (x) => hardSigmoid(x, 0.2, 0.5),
    kinks: [-2.5, 2.5],
  },
  {
    name: 'hardSigmoid (torch/Keras 3: 1/6, 0.5)',
    kind: 'hardSigmoid',
    config: { alpha: 1 / 6, beta: 0.5 },
    literal: (x) => hardSigmoid(x, 1 / 6, 0.5),
    kinks: [-3, 3],
  },
  {
    name: 'hardSwish',
    kind: 'hardSwish',
    literal: (x) => x * hardSigmoid(x, 1 / 6, 0.5),
    kinks: [-3, 3],
  },
  {
    name: 'prelu, one slope per channel (last axis)',
    kind: 'prelu',
    params: () => ({ alpha: tf.tensor1d(alphaLast) }),
    literal: (x, i) => (x > 0 ? x : alphaLast[i % 5]! * x),
    kinks: [0],
  },
  {
    name: 'prelu, one slope per element of a sample (Keras unshared)',
    kind: 'prelu',
    params: () => ({ alpha: tf.tidy(() => tf.reshape(tf.div(tf.range(0, 20), 40), [4, 5])) }),
    literal: (x, i) => (x > 0 ? x : ((i % 20) / 40) * x),
    kinks: [0],
  },
  { name: 'exp', kind: 'exp', literal: Math.exp, range: [-2, 2] },
];

function literalOf(c: Case, x: tf.Tensor): tf.Tensor {
  const data = x.dataSync();
  return tf.tensor(
    Float32Array.from(data, (v, i) => c.literal(v, i)),
    x.shape,
  );
}

/** Softmax or log-softmax along `axis` of a row-major array, in float64 loops. */
function literalSoftmax(x: tf.Tensor, axis: number, log: boolean): tf.Tensor {
  const shape = x.shape;
  const a = axis < 0 ? axis + shape.length : axis;
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const size = shape[a]!;
  const outer = x.size / (inner * size);
  const data = Float64Array.from(x.dataSync());
  const out = new Float32Array(x.size);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => o * size * inner + k * inner + i;
      let max = -Infinity;
      for (let k = 0; k < size; k++) max = Math.max(max, data[at(k)]!);
      let sum = 0;
      for (let k = 0; k < size; k++) sum += Math.exp(data[at(k)]! - max);
      for (let k = 0; k < size; k++) {
        const logP = data[at(k)]! - max - Math.log(sum);
        out[at(k)] = log ? logP : Math.exp(logP);
      }
    }
  return tf.tensor(out, shape);
}

function inputFor(c: Case, seed = 11): tf.Tensor {
  const [low, high] = c.range ?? [-4, 4];
  return awayFromKinks(SHAPE, seed, low, high, c.kinks ?? []);
}

function jsonTensor(t: tf.Tensor) {
  return { shape: t.shape, data: Array.from(t.dataSync()) };
}

describeWithBackends('activation kinds', ['cpu', 'wasm'], () => {
  describe.each(cases)('$name', (c) => {
    const build = () => {
      const params = c.params?.() ?? {};
      return { params, module: createModule(c.kind, params, c.config ?? {}) };
    };

    it('forward equals the literal formula, batched', () => {
      tf.tidy(() => {
        const x = inputFor(c);
        expectTensorsClose(build().module.forward([x]), literalOf(c, x), { atol: 1e-5, rtol: 1e-5 });
      });
    });

    it('input and parameter gradients equal finite differences, and so does the second order', () => {
      tf.tidy(() => {
        const { module, params } = build();
        const names = Object.keys(params);
        const f = ([x, ...p]: readonly tf.Tensor[]) =>
          module.forward([x!], Object.fromEntries(names.map((n, i) => [n, p[i]!])));
        const xs = [inputFor(c), ...names.map((n) => params[n]!)];
        expectGradientsMatchFiniteDifferences(f, xs);
        expectSecondOrderMatchesFiniteDifferences(f, xs);
      });
    });

    it('leaves no tensor behind (run, gradient, second order) and loads from JSON', async () => {
      const { params } = build();
      const model = new GraphBuilder({ name: 'x' }).node('act', c.kind, { params, config: c.config }).build();
      const x = inputFor(c);
      const scale = tf.scalar(1.1);
      await expectNoLeaks(() => model.run(x));
      await expectNoLeaks(() => tf.grad((v: tf.Tensor) => tf.sum(model.run(v)))(x));
      await expectNoLeaks(() =>
        tf.grad((s: tf.Tensor) =>
          tf.sum(tf.grad((v: tf.Tensor) => tf.sum(tf.square(model.run(tf.mul(v, s)))))(x)),
        )(scale),
      );
      const json: JsonModel = {
        format: 'attrib-model/1',
        input: { name: 'x', shape: [null, 4, 5] },
        nodes: [
          {
            name: 'act',
            op: c.kind,
            inputs: ['x'],
            ...c.config,
            ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, jsonTensor(v)])),
          },
        ],
        output: 'act',
      };
      const loaded = loadModel(json);
      tf.tidy(() => expectTensorsClose(loaded.run(x), literalOf(c, x), { atol: 1e-5, rtol: 1e-5 }));
      tf.dispose([x, scale, ...Object.values(params), ...Object.values(loaded.node('act').module.params)]);
    });

    it('refuses two inputs with a GraphError naming the node', () => {
      const { params } = build();
      expect(() =>
        new GraphBuilder({ name: 'x' })
          .node('act', c.kind, { params, config: c.config, inputs: ['x', 'x'] })
          .build(),
      ).toThrow(/node 'act' \(\w+\) takes 1 input\(s\), got 2/);
      tf.dispose(Object.values(params));
    });
  });

  it.each([
    ['clip', { min: 2, max: 1 }, {}, /node 'bad': 'min' \(2\) must not exceed 'max' \(1\)/],
    ['clip', { min: 'low' }, {}, /'min' must be a number, got "low"/],
    ['gelu', { approximate: 'fast' }, {}, /'approximate' must be 'none' or 'tanh', got "fast"/],
    ['swish', { beta: [1] }, {}, /'beta' must be a number/],
    ['hardSigmoid', { alpha: '0.2' }, {}, /'alpha' must be a number/],
    ['prelu', {}, {}, /parameter 'alpha' is missing/],
    ['logSoftmax', { axis: 1.5 }, {}, /'axis' must be an integer, got 1.5/],
  ])('%s with %j is a GraphError naming the node and the key', (kind, config, params, message) => {
    let error: unknown;
    try {
      createModule(kind, params, config, 'bad');
    } catch (e) {
      error = e;
    }
    expect(GraphError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('prelu slopes of the input rank (they would span the batch) are a ShapeMismatchError at run time', () => {
    const alpha = tf.ones([2, 3]);
    const model = new GraphBuilder({ name: 'x' }).node('p', 'prelu', { params: { alpha } }).build();
    const x = tf.ones([2, 3]);
    expect(() => model.run(x)).toThrow(ShapeMismatchError);
    expect(() => model.run(x)).toThrow(/node 'p' \(prelu\).*'alpha' of shape \[2,3\] must have a lower rank/);
    tf.dispose([alpha, x]);
  });

  describe('softmax and logSoftmax on any axis', () => {
    const axes = [-1, 1, 2, -2, 3, -3];
    it.each(axes)(
      'axis %d: forward equals the literal; gradients and second order equal finite differences',
      (axis) => {
        tf.tidy(() => {
          // Spread values (up to ±40) so that the shift by the maximum matters for range.
          const x = tf.mul(randomTensor([2, 3, 4, 5], 21), 40);
          for (const kind of ['softmax', 'logSoftmax']) {
            const module = createModule(kind, {}, { axis });
            expectTensorsClose(module.forward([x]), literalSoftmax(x, axis, kind === 'logSoftmax'), {
              atol: 1e-5,
              rtol: 1e-5,
            });
            const small = randomTensor([2, 3, 4, 5], 22);
            expectGradientsMatchFiniteDifferences(([v]) => module.forward([v!]), [small]);
            expectSecondOrderMatchesFiniteDifferences(([v]) => module.forward([v!]), [small]);
          }
        });
      },
    );

    it('the batch axis is refused (it would mix samples): a ShapeMismatchError naming the node', () => {
      for (const kind of ['softmax', 'logSoftmax']) {
        const model = new GraphBuilder({ name: 'x' }).node('s', kind, { config: { axis: 0 } }).build();
        const x = tf.ones([2, 3]);
        expect(() => model.run(x)).toThrow(ShapeMismatchError);
        expect(() => model.run(x)).toThrow(
          new RegExp(`node 's' \\(${kind}\\).*'axis' must not be the batch axis 0`),
        );
        x.dispose();
      }
    });

    it('leaves no tensor behind on a non-last axis', async () => {
      const x = randomTensor([2, 3, 4], 23);
      for (const kind of ['softmax', 'logSoftmax']) {
        const model = new GraphBuilder({ name: 'x' }).node('s', kind, { config: { axis: 1 } }).build();
        await expectNoLeaks(() => tf.grad((v: tf.Tensor) => tf.sum(tf.square(model.run(v))))(x));
      }
      x.dispose();
    });
  });
});
