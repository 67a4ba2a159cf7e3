import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  randomTensor,
  seededRandom,
} from '@attrib/test-utils';
import { GraphBuilder, GraphError, ShapeMismatchError, createModule, getKind, type Module } from './index.js';

/*
 * Every spatial kind against a slow literal float64 loop written from the definition (not from the
 * code under test), its gradients against central finite differences, a second-order gradient, a leak
 * check and a typed error for a bad configuration, on cpu and wasm.
 */

/** A float64 array with its shape, row-major. */
interface Arr {
  shape: number[];
  data: Float64Array;
}

const arr = (t: tf.Tensor): Arr => ({ shape: t.shape, data: Float64Array.from(t.dataSync()) });
const zeros = (shape: number[]): Arr => ({ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) });
const index = (shape: number[], ...i: number[]) => i.reduce((acc, v, k) => acc * shape[k]! + v, 0);
const at = (a: Arr, ...i: number[]) => a.data[index(a.shape, ...i)]!;
const toTensor = (a: Arr) => tf.tensor(Float32Array.from(a.data), a.shape);

/** Distinct values 0.05 apart in random order: no max-pool ties within a finite-difference step. */
function distinctTensor(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: size }, (_, i) => i);
  const next = seededRandom(seed);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return tf.tensor(
    Float32Array.from(order, (v) => (v - size / 2) * 0.05),
    shape,
  );
}

interface ConvGeometry {
  strides: number[];
  pads: number[];
  dilations: number[];
  groups: number;
}

/** y[n,i,j,o] = Σ_{p,q,c} x[n, i·sh + p·dh − top, j·sw + q·dw − left, g·cpg + c]·W[p,q,c,o] + b[o]. */
function literalConv2d(
  x: Arr,
  w: Arr,
  b: Arr | null,
  { strides, pads, dilations, groups }: ConvGeometry,
): Arr {
  const [n, h, wd] = x.shape as [number, number, number, number];
  const [kh, kw, cpg, cout] = w.shape as [number, number, number, number];
  const ho = Math.floor((h + pads[0]! + pads[1]! - (kh - 1) * dilations[0]! - 1) / strides[0]!) + 1;
  const wo = Math.floor((wd + pads[2]! + pads[3]! - (kw - 1) * dilations[1]! - 1) / strides[1]!) + 1;
  const y = zeros([n, ho, wo, cout]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let o = 0; o < cout; o++) {
          const g = Math.floor(o / (cout / groups));
          let sum = b ? b.data[o]! : 0;
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const r = i * strides[0]! + p * dilations[0]! - pads[0]!;
              const c0 = j * strides[1]! + q * dilations[1]! - pads[2]!;
              if (r < 0 || r >= h || c0 < 0 || c0 >= wd) continue;
              for (let c = 0; c < cpg; c++) sum += at(x, s, r, c0, g * cpg + c) * at(w, p, q, c, o);
            }
          y.data[index(y.shape, s, i, j, o)] = sum;
        }
  return y;
}

/** y[n,i,j,c·m+k] = Σ_{p,q} x[n, i·sh + p·dh − top, j·sw + q·dw − left, c]·W[p,q,c,k] + b[c·m+k]. */
function literalDepthwise(x: Arr, w: Arr, b: Arr | null, { strides, pads, dilations }: ConvGeometry): Arr {
  const [n, h, wd, cin] = x.shape as [number, number, number, number];
  const [kh, kw, , m] = w.shape as [number, number, number, number];
  const ho = Math.floor((h + pads[0]! + pads[1]! - (kh - 1) * dilations[0]! - 1) / strides[0]!) + 1;
  const wo = Math.floor((wd + pads[2]! + pads[3]! - (kw - 1) * dilations[1]! - 1) / strides[1]!) + 1;
  const y = zeros([n, ho, wo, cin * m]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let c = 0; c < cin; c++)
          for (let k = 0; k < m; k++) {
            let sum = b ? b.data[c * m + k]! : 0;
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * strides[0]! + p * dilations[0]! - pads[0]!;
                const c0 = j * strides[1]! + q * dilations[1]! - pads[2]!;
                if (r >= 0 && r < h && c0 >= 0 && c0 < wd) sum += at(x, s, r, c0, c) * at(w, p, q, c, k);
              }
            y.data[index(y.shape, s, i, j, c * m + k)] = sum;
          }
  return y;
}

/** y[n,i,o] = Σ_{p,c} x[n, i·s + p·d − left, g·cpg + c]·W[p,c,o] + b[o]. */
function literalConv1d(
  x: Arr,
  w: Arr,
  b: Arr | null,
  { stride, pads, dilation, groups }: { stride: number; pads: number[]; dilation: number; groups: number },
): Arr {
  const [n, len] = x.shape as [number, number, number];
  const [k, cpg, cout] = w.shape as [number, number, number];
  const lo = Math.floor((len + pads[0]! + pads[1]! - (k - 1) * dilation - 1) / stride) + 1;
  const y = zeros([n, lo, cout]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < lo; i++)
      for (let o = 0; o < cout; o++) {
        const g = Math.floor(o / (cout / groups));
        let sum = b ? b.data[o]! : 0;
        for (let p = 0; p < k; p++) {
          const r = i * stride + p * dilation - pads[0]!;
          if (r < 0 || r >= len) continue;
          for (let c = 0; c < cpg; c++) sum += at(x, s, r, g * cpg + c) * at(w, p, c, o);
        }
        y.data[index(y.shape, s, i, o)] = sum;
      }
  return y;
}

/**
 * Each input pixel stamps its filter into the full output at (i·sh + p·dh, j·sw + q·dw); the result is
 * cropped by [top, bottom, left, right] and extended (with zeros) by outputPadding at the bottom/right.
 * W is [kh, kw, cout/groups, cin].
 */
function literalConvTranspose(
  x: Arr,
  w: Arr,
  b: Arr | null,
  {
    strides,
    crop,
    outputPadding,
    dilations,
    groups,
  }: { strides: number[]; crop: number[]; outputPadding: number[]; dilations: number[]; groups: number },
): Arr {
  const [n, h, wd, cin] = x.shape as [number, number, number, number];
  const [kh, kw, opg] = w.shape as [number, number, number, number];
  const ho = (h - 1) * strides[0]! + (kh - 1) * dilations[0]! + 1 - crop[0]! - crop[1]! + outputPadding[0]!;
  const wo = (wd - 1) * strides[1]! + (kw - 1) * dilations[1]! + 1 - crop[2]! - crop[3]! + outputPadding[1]!;
  const y = zeros([n, ho, wo, opg * groups]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < wd; j++)
        for (let ci = 0; ci < cin; ci++) {
          const g = Math.floor(ci / (cin / groups));
          for (let p = 0; p < kh; p++)
            for (let q = 0; q < kw; q++) {
              const r = i * strides[0]! + p * dilations[0]! - crop[0]!;
              const c0 = j * strides[1]! + q * dilations[1]! - crop[2]!;
              if (r < 0 || r >= ho || c0 < 0 || c0 >= wo) continue;
              for (let o = 0; o < opg; o++)
                y.data[index(y.shape, s, r, c0, g * opg + o)] += at(x, s, i, j, ci) * at(w, p, q, o, ci);
            }
        }
  if (b) for (let e = 0; e < y.data.length; e++) y.data[e] += b.data[e % (opg * groups)]!;
  return y;
}

/** Max or mean over each window's real pixels (padding never wins a max; the mean divides by kh·kw or by the real count). */
function literalPool(
  x: Arr,
  size: number[],
  strides: number[],
  pads: number[],
  mode: 'max' | 'avg',
  countIncludePad = true,
): Arr {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const ho = Math.floor((h + pads[0]! + pads[1]! - size[0]!) / strides[0]!) + 1;
  const wo = Math.floor((wd + pads[2]! + pads[3]! - size[1]!) / strides[1]!) + 1;
  const y = zeros([n, ho, wo, c]);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let p = 0; p < size[0]!; p++)
            for (let q = 0; q < size[1]!; q++) {
              const r = i * strides[0]! + p - pads[0]!;
              const c0 = j * strides[1]! + q - pads[2]!;
              if (r < 0 || r >= h || c0 < 0 || c0 >= wd) continue;
              best = Math.max(best, at(x, s, r, c0, ch));
              sum += at(x, s, r, c0, ch);
              count++;
            }
          y.data[index(y.shape, s, i, j, ch)] =
            mode === 'max' ? best : sum / (countIncludePad ? size[0]! * size[1]! : count);
        }
  return y;
}

/** tf.image.resizeNearestNeighbor / resizeBilinear, written out per output pixel. */
function literalResize(
  x: Arr,
  [ho, wo]: number[],
  method: 'nearest' | 'bilinear',
  alignCorners: boolean,
  halfPixel: boolean,
): Arr {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const y = zeros([n, ho!, wo!, c]);
  const ratio = (inSize: number, outSize: number) =>
    alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const source = (r: number, inSize: number, outSize: number) => {
    const f = ratio(inSize, outSize);
    if (method === 'nearest') {
      const s = halfPixel ? f * (r + 0.5) : f * r;
      const near = Math.min(inSize - 1, alignCorners ? Math.round(s) : Math.floor(s));
      return { low: halfPixel ? Math.max(0, near) : near, high: 0, frac: 0 };
    }
    const s = halfPixel ? f * (r + 0.5) - 0.5 : f * r;
    const low = Math.max(0, Math.floor(s));
    return { low, high: Math.min(inSize - 1, Math.ceil(s)), frac: s - low };
  };
  for (let s = 0; s < n; s++)
    for (let i = 0; i < ho!; i++)
      for (let j = 0; j < wo!; j++) {
        const r = source(i, h, ho!);
        const q = source(j, wd, wo!);
        for (let ch = 0; ch < c; ch++) {
          const v =
            method === 'nearest'
              ? at(x, s, r.low, q.low, ch)
              : (1 - r.frac) *
                  ((1 - q.frac) * at(x, s, r.low, q.low, ch) + q.frac * at(x, s, r.low, q.high, ch)) +
                r.frac * ((1 - q.frac) * at(x, s, r.high, q.low, ch) + q.frac * at(x, s, r.high, q.high, ch));
          y.data[index(y.shape, s, i, j, ch)] = v;
        }
      }
  return y;
}

/** Checks the input and parameter gradients of `Σ R ⊙ module(x)` against central finite differences. */
function checkGradients(module: Module, x: tf.Tensor, { h = 1e-2, atol = 2e-3 } = {}) {
  tf.tidy(() => {
    const names = Object.keys(module.params);
    const values = names.map((n) => module.params[n]!);
    const weights = randomTensor(module.forward([x]).shape, 97);
    const objective = (v: tf.Tensor, params: Record<string, tf.Tensor> = {}) =>
      tf.sum(tf.mul(module.forward([v], params), weights));
    const grads = tf.grads((...args: tf.Tensor[]) =>
      objective(args[0]!, Object.fromEntries(names.map((n, i) => [n, args[i + 1]!]))),
    )([x, ...values]);
    const fdX = finiteDifferenceGradient((v) => objective(v).dataSync()[0]!, x, h);
    expectTensorsClose(grads[0]!, fdX, { atol, rtol: 1e-3 });
    names.forEach((name, i) => {
      const fd = finiteDifferenceGradient((v) => objective(x, { [name]: v }).dataSync()[0]!, values[i]!, h);
      expectTensorsClose(grads[i + 1]!, fd, { atol, rtol: 1e-3 });
    });
  });
}

/**
 * Second order: g(s) = Σ M ⊙ ∂/∂x Σ R ⊙ module(s·x)², differentiated in s by tf.grad through the inner
 * gradient, against a central difference in s (which tests that the backward itself is differentiable).
 */
function checkSecondOrder(module: Module, x: tf.Tensor, { h = 1e-2, atol = 2e-3 } = {}) {
  tf.tidy(() => {
    const weights = randomTensor(module.forward([x]).shape, 98);
    const mask = randomTensor(x.shape, 99);
    const g = (s: tf.Tensor) => {
      const inner = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.square(module.forward([tf.mul(v, s)])), weights)),
      )(x);
      return tf.sum(tf.mul(inner, mask));
    };
    const analytic = tf.grad(g)(tf.scalar(1.2));
    const fd = (g(tf.scalar(1.2 + h)).dataSync()[0]! - g(tf.scalar(1.2 - h)).dataSync()[0]!) / (2 * h);
    expectTensorsClose(analytic, fd, { atol, rtol: 1e-3 });
  });
}

/**
 * Mixed second order through the weight: h1(W) = Σ M ⊙ ∂/∂x Σ R ⊙ f(x; W)² differentiated in W, and
 * h2(x) = Σ M′ ⊙ ∂/∂W Σ R ⊙ f(x; W)² differentiated in x, each against central differences.
 */
function checkSecondOrderThroughWeight(module: Module, x: tf.Tensor, { h = 1e-2, atol = 3e-3 } = {}) {
  tf.tidy(() => {
    const weight = module.params.weight!;
    const weights = randomTensor(module.forward([x]).shape, 95);
    const inner = (v: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(module.forward([v], { weight: w })), weights));
    const maskX = randomTensor(x.shape, 96);
    const maskW = randomTensor(weight.shape, 94);
    const h1 = (w: tf.Tensor) => tf.sum(tf.mul(tf.grad((v: tf.Tensor) => inner(v, w))(x), maskX));
    const h2 = (v: tf.Tensor) => tf.sum(tf.mul(tf.grad((w: tf.Tensor) => inner(v, w))(weight), maskW));
    expectTensorsClose(
      tf.grad(h1)(weight),
      finiteDifferenceGradient((w) => h1(w).dataSync()[0]!, weight, h),
      {
        atol,
        rtol: 1e-3,
      },
    );
    expectTensorsClose(
      tf.grad(h2)(x),
      finiteDifferenceGradient((v) => h2(v).dataSync()[0]!, x, h),
      {
        atol,
        rtol: 1e-3,
      },
    );
  });
}

/** A one-node graph of the kind leaves nothing behind in a run, a gradient, or a second-order gradient. */
async function expectNoLeaksThrough(
  kind: string,
  params: Record<string, tf.Tensor>,
  config: Record<string, unknown>,
  shape: number[],
) {
  const model = new GraphBuilder({ name: 'x' }).node('n', kind, { params, config }).build();
  const x = randomTensor(shape, 5);
  await expectNoLeaks(() => model.run(x));
  await expectNoLeaks(() => tf.grad((v: tf.Tensor) => tf.sum(tf.square(model.run(v))))(x));
  const scale = tf.scalar(1.5);
  const secondOrder = tf.grad((s: tf.Tensor) =>
    tf.sum(tf.grad((v: tf.Tensor) => tf.sum(tf.square(model.run(tf.mul(v, s)))))(x)),
  );
  await expectNoLeaks(() => secondOrder(scale));
  tf.dispose([x, scale]);
}

function expectGraphError(fn: () => unknown, ...fragments: string[]) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(GraphError.isInstance(caught)).toBe(true);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describeWithBackends('conv2d', ['cpu', 'wasm'], () => {
  const x = randomTensor([2, 6, 7, 4], 1);
  const cases: Array<{
    name: string;
    weight: number[];
    config: Record<string, unknown>;
    geometry: ConvGeometry;
  }> = [
    {
      name: "'same' pads the odd row/column at the bottom/right (stride 2, even size)",
      weight: [3, 3, 4, 3],
      config: { pad: 'same', strides: [2, 2] },
      // H 6: 3 outputs, (3−1)·2 + 3 − 6 = 1 row of padding, all at the bottom; W 7: 4 outputs, 2 columns, 1 + 1.
      geometry: { strides: [2, 2], pads: [0, 1, 1, 1], dilations: [1, 1], groups: 1 },
    },
    {
      name: "'same' with even kernels: the odd padding goes after (kh 2: 0/1; kw 4: 1/2)",
      weight: [2, 4, 4, 3],
      config: { pad: 'same' },
      geometry: { strides: [1, 1], pads: [0, 1, 1, 2], dilations: [1, 1], groups: 1 },
    },
    {
      name: "'valid' with a dilation",
      weight: [2, 3, 4, 2],
      config: { pad: 'valid', dilations: [2, 2] },
      geometry: { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [2, 2], groups: 1 },
    },
    {
      name: 'explicit asymmetric pads, groups 2',
      weight: [3, 2, 2, 6],
      config: { pad: [2, 0, 1, 1], groups: 2 },
      geometry: { strides: [1, 1], pads: [2, 0, 1, 1], dilations: [1, 1], groups: 2 },
    },
    {
      name: "groups = channels (depthwise route), 'same', stride 2",
      weight: [3, 3, 1, 8],
      config: { pad: 'same', strides: [2, 2], groups: 4 },
      geometry: { strides: [2, 2], pads: [0, 1, 1, 1], dilations: [1, 1], groups: 4 },
    },
  ];
  for (const [k, c] of cases.entries()) {
    it(`forward: ${c.name}`, () => {
      const weight = randomTensor(c.weight, 10 + k);
      const bias = randomTensor([c.weight[3]!], 20 + k);
      const conv = createModule('conv2d', { weight, bias }, c.config, 'c');
      const expected = literalConv2d(arr(x), arr(weight), arr(bias), c.geometry);
      expectTensorsClose(conv.forward([x]), toTensor(expected), { atol: 1e-5 });
    });
  }

  it("'same' differs from symmetric padding on an even size (the asymmetry is real)", () => {
    const weight = randomTensor([3, 3, 4, 3], 10);
    const symmetric = literalConv2d(arr(x), arr(weight), null, {
      strides: [2, 2],
      pads: [1, 0, 1, 1],
      dilations: [1, 1],
      groups: 1,
    });
    const same = createModule('conv2d', { weight }, { pad: 'same', strides: [2, 2] }).forward([x]);
    expect(Math.max(...same.dataSync().map((v, i) => Math.abs(v - symmetric.data[i]!)))).toBeGreaterThan(0.1);
  });

  it('input and weight gradients match finite differences (grouped, same, strided)', () => {
    const small = randomTensor([2, 5, 4, 4], 3);
    for (const config of [
      { pad: 'same', strides: [2, 2] },
      { pad: [1, 0, 0, 1], groups: 2 },
    ]) {
      const weight = randomTensor([3, 2, config.groups ? 2 : 4, 4], 4);
      checkGradients(createModule('conv2d', { weight, bias: randomTensor([4], 5) }, config), small);
    }
  });

  it('has a second-order gradient (grouped, same), also through the weight', () => {
    const weight = randomTensor([3, 3, 2, 4], 6);
    checkSecondOrderThroughWeight(
      createModule('conv2d', { weight: randomTensor([3, 2, 4, 3], 16) }, { pad: 'same', strides: [2, 1] }),
      randomTensor([2, 4, 3, 4], 17),
    );
    checkSecondOrder(
      createModule('conv2d', { weight }, { pad: 'same', groups: 2 }),
      randomTensor([2, 4, 4, 4], 7),
    );
  });

  it("inputVjp (core's fast input gradient) equals tf.grad for 'same' padding", () => {
    tf.tidy(() => {
      const weight = randomTensor([3, 3, 4, 2], 8);
      const conv = createModule('conv2d', { weight }, { pad: 'same' });
      const dy = randomTensor([2, 6, 7, 2], 9);
      const viaTfGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(conv.forward([v]), dy)))(x);
      const vjp = getKind('conv2d')!.behaviour!.inputVjp!(dy, conv.params, conv.config, x.shape);
      expectTensorsClose(vjp!, viaTfGrad, { atol: 1e-5 });
    });
  });

  it('does not leak (graph run and gradient)', async () => {
    const weight = randomTensor([3, 3, 2, 4], 6);
    await expectNoLeaksThrough('conv2d', { weight }, { pad: 'same', groups: 2 }, [2, 4, 4, 4]);
    weight.dispose();
  });

  it('refuses bad configuration with a GraphError naming the node, and a channel mismatch at run time', () => {
    const weight = tf.zeros([3, 3, 2, 4]);
    expectGraphError(
      () => createModule('conv2d', { weight }, { pad: 'full' }, 'c1'),
      "node 'c1'",
      "'pad'",
      "'full'",
    );
    expectGraphError(() => createModule('conv2d', { weight }, { groups: 3 }, 'c1'), 'groups', '3');
    expectGraphError(
      () => createModule('conv2d', { weight }, { strides: [2, 2], dilations: [2, 1] }, 'c1'),
      'not both',
    );
    const model = new GraphBuilder({ name: 'x' })
      .node('c1', 'conv2d', { params: { weight }, config: { groups: 2 } })
      .build();
    expect(() => model.run(tf.zeros([1, 4, 4, 3]))).toThrow(ShapeMismatchError);
    expect(() => model.run(tf.zeros([1, 4, 4, 3]))).toThrow(/node 'c1'.*4 input channels/);
    weight.dispose();
  });
});

describeWithBackends('depthwiseConv2d', ['cpu', 'wasm'], () => {
  const x = randomTensor([2, 6, 5, 3], 30);
  const cases = [
    {
      config: { pad: 'same', strides: [2, 2] },
      geometry: { strides: [2, 2], pads: [0, 1, 1, 1], dilations: [1, 1], groups: 3 },
    },
    {
      config: { pad: [1, 0, 2, 1], dilations: [2, 1] },
      geometry: { strides: [1, 1], pads: [1, 0, 2, 1], dilations: [2, 1], groups: 3 },
    },
    { config: {}, geometry: { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 3 } },
  ];
  for (const [k, c] of cases.entries()) {
    it(`forward, multiplier 2: ${JSON.stringify(c.config)}`, () => {
      const weight = randomTensor([3, 3, 3, 2], 31 + k);
      const bias = randomTensor([6], 35);
      const conv = createModule('depthwiseConv2d', { weight, bias }, c.config);
      expectTensorsClose(
        conv.forward([x]),
        toTensor(literalDepthwise(arr(x), arr(weight), arr(bias), c.geometry)),
        {
          atol: 1e-5,
        },
      );
    });
  }

  it('input and weight gradients match finite differences (strided, dilated; wasm has no backprop kernels)', () => {
    const small = randomTensor([2, 5, 4, 2], 36);
    for (const config of [
      { pad: 'same', strides: [2, 2] },
      { pad: [1, 1, 0, 2], dilations: [1, 2] },
    ]) {
      checkGradients(
        createModule(
          'depthwiseConv2d',
          { weight: randomTensor([3, 2, 2, 2], 37), bias: randomTensor([4], 38) },
          config,
        ),
        small,
      );
    }
  });

  it('has second-order gradients (tfjs has none for its depthwise backprop kernels)', () => {
    checkSecondOrder(
      createModule(
        'depthwiseConv2d',
        { weight: randomTensor([3, 3, 2, 3], 39) },
        { pad: 'same', strides: [2, 1] },
      ),
      randomTensor([2, 5, 4, 2], 40),
    );
    // Through the weight: on cpu the first order is tfjs's kernels (undilated) or ours (dilated).
    for (const config of [
      { pad: 'same', strides: [2, 1] },
      { pad: [1, 0, 1, 1], dilations: [2, 1] },
    ]) {
      checkSecondOrderThroughWeight(
        createModule('depthwiseConv2d', { weight: randomTensor([3, 2, 2, 2], 44) }, config),
        randomTensor([2, 5, 4, 2], 45),
      );
    }
  });

  it('inputVjp equals tf.grad', () => {
    tf.tidy(() => {
      const conv = createModule(
        'depthwiseConv2d',
        { weight: randomTensor([3, 3, 3, 2], 41) },
        { pad: 'same', strides: [2, 2] },
      );
      const dy = randomTensor(conv.forward([x]).shape, 42);
      const viaTfGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(conv.forward([v]), dy)))(x);
      const vjp = getKind('depthwiseConv2d')!.behaviour!.inputVjp!(dy, conv.params, conv.config, x.shape);
      expectTensorsClose(vjp!, viaTfGrad, { atol: 1e-5 });
    });
  });

  it('does not leak', async () => {
    const weight = randomTensor([3, 3, 2, 2], 43);
    await expectNoLeaksThrough('depthwiseConv2d', { weight }, { pad: 'same', strides: [2, 2] }, [2, 5, 5, 2]);
    weight.dispose();
  });

  it('refuses a bias of the wrong size and a bad stride', () => {
    const weight = tf.zeros([3, 3, 2, 2]);
    const bias = tf.zeros([2]);
    expectGraphError(
      () => createModule('depthwiseConv2d', { weight, bias }, {}, 'dw'),
      "node 'dw'",
      'bias',
      'size 4',
    );
    expectGraphError(
      () => createModule('depthwiseConv2d', { weight }, { strides: [0, 1] }, 'dw'),
      "'strides'",
      '[0,1]',
    );
    tf.dispose([weight, bias]);
  });
});

describeWithBackends('conv1d', ['cpu', 'wasm'], () => {
  const x = randomTensor([2, 9, 4], 50);
  const cases = [
    {
      config: { pad: 'same', stride: 2 },
      literal: { stride: 2, pads: [1, 1], dilation: 1, groups: 1 },
      weight: [3, 4, 3],
    },
    {
      config: { pad: 'same' },
      literal: { stride: 1, pads: [1, 2], dilation: 1, groups: 1 },
      weight: [4, 4, 3],
    },
    {
      config: { pad: [2, 0], dilation: 2, groups: 2 },
      literal: { stride: 1, pads: [2, 0], dilation: 2, groups: 2 },
      weight: [3, 2, 4],
    },
  ];
  for (const [k, c] of cases.entries()) {
    it(`forward: ${JSON.stringify(c.config)}`, () => {
      const weight = randomTensor(c.weight, 51 + k);
      const bias = randomTensor([c.weight[2]!], 55);
      const conv = createModule('conv1d', { weight, bias }, c.config);
      expectTensorsClose(
        conv.forward([x]),
        toTensor(literalConv1d(arr(x), arr(weight), arr(bias), c.literal)),
        { atol: 1e-5 },
      );
    });
  }

  it('input and weight gradients match finite differences, and a second-order gradient', () => {
    const small = randomTensor([2, 6, 4], 56);
    const conv = createModule(
      'conv1d',
      { weight: randomTensor([3, 2, 4], 57), bias: randomTensor([4], 58) },
      { pad: 'same', stride: 2, groups: 2 },
    );
    checkGradients(conv, small);
    checkSecondOrder(conv, small);
    checkSecondOrderThroughWeight(conv, small);
  });

  it('does not leak, and refuses an image input or a bad pad', async () => {
    const weight = randomTensor([3, 4, 2], 59);
    await expectNoLeaksThrough('conv1d', { weight }, { pad: 'same' }, [2, 6, 4]);
    expectGraphError(
      () => createModule('conv1d', { weight }, { pad: [1, 1, 1, 1] }, 'c'),
      "'pad'",
      '[left, right]',
    );
    const model = new GraphBuilder({ name: 'x' }).node('c', 'conv1d', { params: { weight } }).build();
    expect(() => model.run(tf.zeros([1, 4, 4, 4]))).toThrow(/node 'c'.*rank-3 NLC/);
    weight.dispose();
  });
});

describeWithBackends('conv2dTranspose', ['cpu', 'wasm'], () => {
  const x = randomTensor([2, 3, 4, 4], 60);
  const cases = [
    // PyTorch ConvTranspose2d(k 3, stride 2, padding 1, output_padding 1): H 3 → 6.
    {
      config: { strides: [2, 2], pad: [1, 1, 1, 1], outputPadding: [1, 1] },
      literal: { strides: [2, 2], crop: [1, 1, 1, 1], outputPadding: [1, 1], dilations: [1, 1], groups: 1 },
      weight: [3, 3, 2, 4],
    },
    // outputPadding beyond the crop: the extra rows are zero (plus bias).
    {
      config: { strides: [3, 2], pad: [0, 0, 1, 0], outputPadding: [2, 1], groups: 2 },
      literal: { strides: [3, 2], crop: [0, 0, 1, 0], outputPadding: [2, 1], dilations: [1, 1], groups: 2 },
      weight: [2, 3, 3, 4],
    },
    {
      config: { dilations: [2, 2], pad: [1, 0, 0, 1] },
      literal: { strides: [1, 1], crop: [1, 0, 0, 1], outputPadding: [0, 0], dilations: [2, 2], groups: 1 },
      weight: [3, 2, 2, 4],
    },
  ];
  for (const [k, c] of cases.entries()) {
    it(`forward: ${JSON.stringify(c.config)}`, () => {
      const weight = randomTensor(c.weight, 61 + k);
      const bias = randomTensor([c.weight[2]! * (c.literal.groups ?? 1)], 65);
      const conv = createModule('conv2dTranspose', { weight, bias }, c.config);
      expectTensorsClose(
        conv.forward([x]),
        toTensor(literalConvTranspose(arr(x), arr(weight), arr(bias), c.literal)),
        {
          atol: 1e-5,
        },
      );
    });
  }

  it("'same' and 'valid' equal tf.conv2dTranspose with TensorFlow's output sizes (H·s; (H−1)·s + max(k, s))", () => {
    tf.tidy(() => {
      for (const [kernel, stride] of [
        [3, 2],
        [4, 2],
        [2, 3],
      ] as const) {
        const weight = randomTensor([kernel, kernel, 2, 4], 66);
        for (const pad of ['same', 'valid'] as const) {
          const ours = createModule(
            'conv2dTranspose',
            { weight },
            { strides: [stride, stride], pad },
          ).forward([x]);
          const size = (n: number) =>
            pad === 'same' ? n * stride : (n - 1) * stride + Math.max(kernel, stride);
          const outShape: [number, number, number, number] = [2, size(3), size(4), 2];
          const reference = tf.conv2dTranspose(
            x as tf.Tensor4D,
            weight as tf.Tensor4D,
            outShape,
            stride,
            pad,
          );
          expectTensorsClose(ours, reference, { atol: 1e-5 });
        }
      }
    });
  });

  it('input and weight gradients match finite differences, and a second-order gradient', () => {
    const small = randomTensor([2, 3, 2, 4], 67);
    const conv = createModule(
      'conv2dTranspose',
      { weight: randomTensor([3, 3, 2, 4], 68), bias: randomTensor([4], 69) },
      { strides: [2, 2], pad: [1, 0, 0, 1], outputPadding: [1, 0], groups: 2 },
    );
    checkGradients(conv, small);
    checkSecondOrder(conv, small);
    checkSecondOrderThroughWeight(conv, small);
  });

  it('does not leak, and refuses outputPadding with a named padding', async () => {
    const weight = randomTensor([3, 3, 2, 4], 70);
    await expectNoLeaksThrough('conv2dTranspose', { weight }, { strides: [2, 2], pad: 'same' }, [2, 3, 3, 4]);
    expectGraphError(
      () => createModule('conv2dTranspose', { weight }, { pad: 'same', outputPadding: [1, 1] }, 'up'),
      "node 'up'",
      'outputPadding',
    );
    expectGraphError(() => createModule('conv2dTranspose', { weight }, { groups: 3 }, 'up'), 'groups (3)');
    weight.dispose();
  });
});

describeWithBackends('maxpool2d and avgpool2d', ['cpu', 'wasm'], () => {
  const x = distinctTensor([2, 6, 7, 3], 80);
  const cases: Array<{
    config: Record<string, unknown>;
    size: number[];
    strides: number[];
    pads: number[];
    includePad?: boolean;
  }> = [
    // 'same' with stride 2 on 6 × 7: rows 0/1, columns 1/1 (TensorFlow puts the odd one at the end).
    {
      config: { size: [3, 3], strides: [2, 2], pad: 'same' },
      size: [3, 3],
      strides: [2, 2],
      pads: [0, 1, 1, 1],
      includePad: false,
    },
    {
      config: { size: [2, 2], pad: 'same' },
      size: [2, 2],
      strides: [2, 2],
      pads: [0, 0, 0, 1],
      includePad: false,
    },
    {
      config: { size: [3, 2], strides: [1, 2], pad: [1, 2, 1, 0] },
      size: [3, 2],
      strides: [1, 2],
      pads: [1, 2, 1, 0],
      includePad: true,
    },
    {
      config: { size: [3, 3], strides: [2, 2], pad: [1, 1, 1, 1], countIncludePad: false },
      size: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      includePad: false,
    },
  ];
  for (const c of cases) {
    it(`forward: ${JSON.stringify(c.config)}`, () => {
      const max = createModule('maxpool2d', {}, { ...c.config, countIncludePad: undefined }).forward([x]);
      expectTensorsClose(max, toTensor(literalPool(arr(x), c.size, c.strides, c.pads, 'max')), {
        atol: 0,
        rtol: 0,
      });
      const avg = createModule('avgpool2d', {}, c.config).forward([x]);
      expectTensorsClose(avg, toTensor(literalPool(arr(x), c.size, c.strides, c.pads, 'avg', c.includePad)), {
        atol: 1e-6,
      });
    });
  }

  it('padding never wins a max, even where every real value is negative', () => {
    const negative = tf.neg(tf.add(tf.abs(x), 1));
    const pooled = createModule('maxpool2d', {}, { size: [3, 3], strides: [1, 1], pad: 'same' }).forward([
      negative,
    ]);
    expect(Math.max(...pooled.dataSync())).toBeLessThanOrEqual(-1);
    tf.dispose([negative, pooled]);
  });

  it('gradients match finite differences, and second-order gradients exist', () => {
    const small = distinctTensor([2, 5, 4, 2], 81);
    for (const kind of ['maxpool2d', 'avgpool2d']) {
      const pool = createModule(kind, {}, { size: [3, 3], strides: [2, 1], pad: 'same' });
      checkGradients(pool, small);
      checkSecondOrder(pool, small);
    }
  });

  it('does not leak, and refuses padding as wide as the window', async () => {
    await expectNoLeaksThrough('maxpool2d', {}, { size: [3, 3], strides: [2, 2], pad: 'same' }, [2, 5, 5, 2]);
    await expectNoLeaksThrough('avgpool2d', {}, { size: [3, 3], strides: [2, 2], pad: 'same' }, [2, 5, 5, 2]);
    expectGraphError(
      () => createModule('maxpool2d', {}, { size: [2, 2], pad: [2, 0, 0, 0] }, 'p'),
      "node 'p'",
      'smaller than the window',
    );
    expectGraphError(
      () => createModule('avgpool2d', {}, { size: [2, 2], countIncludePad: 1 }, 'p'),
      'countIncludePad',
      'boolean',
    );
  });
});

describeWithBackends('globalAvgPool and globalMaxPool', ['cpu', 'wasm'], () => {
  const x = distinctTensor([3, 4, 5, 2], 90);

  it('forward, with and without keepDims', () => {
    const whole = literalPool(arr(x), [4, 5], [4, 5], [0, 0, 0, 0], 'max');
    const mean = literalPool(arr(x), [4, 5], [4, 5], [0, 0, 0, 0], 'avg');
    expectTensorsClose(createModule('globalMaxPool', {}, { keepDims: true }).forward([x]), toTensor(whole), {
      atol: 0,
      rtol: 0,
    });
    expectTensorsClose(createModule('globalMaxPool').forward([x]), tf.reshape(toTensor(whole), [3, 2]), {
      atol: 0,
      rtol: 0,
    });
    expectTensorsClose(createModule('globalAvgPool', {}, { keepDims: true }).forward([x]), toTensor(mean), {
      atol: 1e-6,
    });
    expectTensorsClose(createModule('globalAvgPool').forward([x]), tf.reshape(toTensor(mean), [3, 2]), {
      atol: 1e-6,
    });
  });

  it('globalMaxPool routes a tie to the first maximum only (as maxpool2d), with a second-order gradient', () => {
    const ties = tf.zeros([1, 2, 2, 1]);
    const [g] = tf.grads((v: tf.Tensor) => tf.sum(createModule('globalMaxPool').forward([v])))([ties]);
    expect(Array.from(g!.dataSync())).toEqual([1, 0, 0, 0]);
    for (const kind of ['globalMaxPool', 'globalAvgPool']) {
      checkGradients(createModule(kind), x);
      checkSecondOrder(createModule(kind), x);
    }
    tf.dispose([ties, g!]);
  });

  it('does not leak, and refuses a non-boolean keepDims', async () => {
    await expectNoLeaksThrough('globalMaxPool', {}, { keepDims: true }, [2, 3, 3, 2]);
    await expectNoLeaksThrough('globalAvgPool', {}, {}, [2, 3, 3, 2]);
    expectGraphError(
      () => createModule('globalMaxPool', {}, { keepDims: 'yes' }, 'g'),
      "node 'g'",
      'keepDims',
    );
  });
});

describeWithBackends('upsample2d', ['cpu', 'wasm'], () => {
  const x = randomTensor([3, 3, 4, 2], 100);
  const variants = [
    { method: 'nearest', alignCorners: false, halfPixelCenters: false },
    { method: 'nearest', alignCorners: true, halfPixelCenters: false },
    { method: 'nearest', alignCorners: false, halfPixelCenters: true },
    { method: 'bilinear', alignCorners: false, halfPixelCenters: false },
    { method: 'bilinear', alignCorners: true, halfPixelCenters: false },
    { method: 'bilinear', alignCorners: false, halfPixelCenters: true },
  ] as const;
  for (const v of variants) {
    it(`forward equals the literal rule and tf.image.resize*: ${JSON.stringify(v)}`, () => {
      tf.tidy(() => {
        for (const [config, size] of [
          [{ scale: [2, 2] }, [6, 8]],
          [{ size: [5, 7] }, [5, 7]],
          [{ scale: [1.5, 0.5] }, [4, 2]],
        ] as const) {
          const ours = createModule('upsample2d', {}, { ...v, ...config }).forward([x]);
          expectTensorsClose(
            ours,
            toTensor(literalResize(arr(x), [...size], v.method, v.alignCorners, v.halfPixelCenters)),
            {
              atol: 1e-5,
            },
          );
          const resize = v.method === 'nearest' ? tf.image.resizeNearestNeighbor : tf.image.resizeBilinear;
          expectTensorsClose(
            ours,
            resize(x as tf.Tensor4D, size as [number, number], v.alignCorners, v.halfPixelCenters),
            {
              atol: 1e-5,
            },
          );
        }
      });
    });
  }

  it('gradients are right for batch 3 (finite differences), with a second-order gradient', () => {
    for (const method of ['nearest', 'bilinear']) {
      const up = createModule(
        'upsample2d',
        {},
        { method, scale: [2, 3], halfPixelCenters: method === 'bilinear' },
      );
      checkGradients(up, x);
      checkSecondOrder(up, x);
    }
  });

  it('does not leak, and refuses both scale and size', async () => {
    await expectNoLeaksThrough('upsample2d', {}, { method: 'bilinear', scale: [2, 2] }, [3, 2, 2, 2]);
    expectGraphError(
      () => createModule('upsample2d', {}, { scale: [2, 2], size: [4, 4] }, 'u'),
      "node 'u'",
      'exactly one',
    );
    expectGraphError(
      () => createModule('upsample2d', {}, { scale: [2, 2], method: 'cubic' }, 'u'),
      "'cubic'",
    );
  });
});

describeWithBackends('pad', ['cpu', 'wasm'], () => {
  it('pads with a constant or crops (negative amounts), NHWC and NLC', () => {
    tf.tidy(() => {
      const x = randomTensor([2, 3, 4, 2], 110);
      const padded = createModule('pad', {}, { pads: [1, 0, 2, -1], value: 0.5 }).forward([x]);
      const xs = arr(x);
      const expected = zeros([2, 4, 5, 2]);
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 5; j++)
            for (let c = 0; c < 2; c++) {
              const [r, q] = [i - 1, j - 2];
              expected.data[index(expected.shape, n, i, j, c)] = r >= 0 && q >= 0 ? at(xs, n, r, q, c) : 0.5;
            }
      expectTensorsClose(padded, toTensor(expected), { atol: 0, rtol: 0 });
      const sequence = randomTensor([2, 3, 2], 111);
      const seqPadded = createModule('pad', {}, { pads: [0, 2] }).forward([sequence]);
      expectTensorsClose(seqPadded, tf.concat([sequence, tf.zeros([2, 2, 2])], 1), { atol: 0, rtol: 0 });
    });
  });

  it('gradients match finite differences, second order, no leaks; refuses a bad pads list', async () => {
    const pad = createModule('pad', {}, { pads: [1, -1, 0, 2], value: 3 });
    const x = randomTensor([2, 3, 3, 2], 112);
    checkGradients(pad, x);
    checkSecondOrder(pad, x);
    await expectNoLeaksThrough('pad', {}, { pads: [1, 1, 1, 1] }, [2, 3, 3, 2]);
    expectGraphError(
      () => createModule('pad', {}, { pads: [1, 1, 1] }, 'p'),
      "node 'p'",
      "'pads'",
      '[1,1,1]',
    );
    expectGraphError(() => createModule('pad', {}, { pads: [1, 1], value: Number.NaN }, 'p'), "'value'");
    x.dispose();
  });
});

describeWithBackends('foldChannelAffine (what mergeBatchNorm folds)', ['cpu', 'wasm'], () => {
  it('conv2d (groups), depthwiseConv2d (multiplier 2) and conv1d with the affine folded equal the affine after them', () => {
    tf.tidy(() => {
      const cases: Array<[string, Record<string, tf.Tensor>, Record<string, unknown>, number[], number]> = [
        [
          'conv2d',
          { weight: randomTensor([3, 3, 2, 6], 120), bias: randomTensor([6], 121) },
          { pad: 'same', groups: 2 },
          [2, 5, 5, 4],
          6,
        ],
        [
          'depthwiseConv2d',
          { weight: randomTensor([3, 3, 3, 2], 122) },
          { pad: 'same', strides: [2, 2] },
          [2, 5, 5, 3],
          6,
        ],
        [
          'conv1d',
          { weight: randomTensor([3, 2, 4], 123), bias: randomTensor([4], 124) },
          { pad: 'same' },
          [2, 6, 2],
          4,
        ],
      ];
      for (const [kind, params, config, shape, channels] of cases) {
        const module = createModule(kind, params, config);
        const affine = {
          center: randomTensor([channels], 125),
          scale: randomTensor([channels], 126, 0.5, 2),
          shift: randomTensor([channels], 127),
        };
        const x = randomTensor(shape, 128);
        const folded = getKind(kind)!.behaviour!.foldChannelAffine!(module.params, module.config, affine);
        const expected = tf.add(
          tf.mul(tf.sub(module.forward([x]), affine.center), affine.scale),
          affine.shift,
        );
        expectTensorsClose(module.forward([x], folded), expected, { atol: 1e-5 });
      }
    });
  });
});

describeWithBackends('maxpool1d, avgpool1d and global pools over sequences', ['cpu', 'wasm'], () => {
  const x = distinctTensor([2, 9, 3], 130);
  /** The sequence as a height-1 image, for literalPool. */
  const asImage = (a: Arr): Arr => ({ shape: [a.shape[0]!, 1, a.shape[1]!, a.shape[2]!], data: a.data });
  const asSequence = (a: Arr): Arr => ({ shape: [a.shape[0]!, a.shape[2]!, a.shape[3]!], data: a.data });
  const cases = [
    // 'same', size 3, stride 2 on 9: 5 outputs, (5−1)·2 + 3 − 9 = 2 → 1 before, 1 after.
    { config: { size: 3, stride: 2, pad: 'same' }, size: 3, stride: 2, pads: [1, 1], includePad: false },
    { config: { size: 2, pad: 'same' }, size: 2, stride: 2, pads: [0, 1], includePad: false },
    { config: { size: 3, stride: 1, pad: [2, 0] }, size: 3, stride: 1, pads: [2, 0], includePad: true },
  ];
  for (const c of cases) {
    it(`forward: ${JSON.stringify(c.config)}`, () => {
      for (const mode of ['max', 'avg'] as const) {
        const y = createModule(`${mode}pool1d`, {}, c.config).forward([x]);
        const expected = literalPool(
          asImage(arr(x)),
          [1, c.size],
          [1, c.stride],
          [0, 0, ...c.pads],
          mode,
          c.includePad,
        );
        expectTensorsClose(y, toTensor(asSequence(expected)), { atol: 1e-6 });
      }
    });
  }

  it('gradients match finite differences with second order; global pools take NLC', async () => {
    for (const kind of ['maxpool1d', 'avgpool1d']) {
      const pool = createModule(kind, {}, { size: 3, stride: 2, pad: 'same' });
      checkGradients(pool, x);
      checkSecondOrder(pool, x);
    }
    tf.tidy(() => {
      const image = asImage(arr(x));
      const whole = literalPool(image, [1, 9], [1, 9], [0, 0, 0, 0], 'max');
      expectTensorsClose(createModule('globalMaxPool').forward([x]), tf.reshape(toTensor(whole), [2, 3]), {
        atol: 0,
        rtol: 0,
      });
      const mean = literalPool(image, [1, 9], [1, 9], [0, 0, 0, 0], 'avg');
      expectTensorsClose(
        createModule('globalAvgPool', {}, { keepDims: true }).forward([x]),
        tf.reshape(toTensor(mean), [2, 1, 3]),
        {
          atol: 1e-6,
        },
      );
    });
    checkGradients(createModule('globalMaxPool', {}, { keepDims: true }), x);
    await expectNoLeaksThrough('maxpool1d', {}, { size: 2, pad: 'same' }, [2, 5, 3]);
    await expectNoLeaksThrough('avgpool1d', {}, { size: 3, stride: 2, pad: 'same' }, [2, 5, 3]);
  });

  it('refuses an image input, a list size, and padding as wide as the window', () => {
    expectGraphError(
      () => createModule('maxpool1d', {}, { size: [2, 2] }, 'p'),
      "node 'p'",
      "'size'",
      '[2,2]',
    );
    expectGraphError(
      () => createModule('avgpool1d', {}, { size: 2, pad: [2, 0] }, 'p'),
      'smaller than the window',
    );
    const model = new GraphBuilder({ name: 'x' }).node('p', 'maxpool1d', { config: { size: 2 } }).build();
    expect(() => model.run(tf.zeros([1, 4, 4, 2]))).toThrow(/node 'p'.*rank-3 NLC/);
  });
});
