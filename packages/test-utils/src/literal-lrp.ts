/**
 * Slow, literal LRP for one dense or conv layer of one sample, in float64 on the host: each rule
 * written from its formula over an explicit list of connections (input i → output j with weight w).
 * It shares no code with @attrib/lrp on purpose; tests hold the fast rules against it.
 */
export interface Connection {
  readonly i: number;
  readonly j: number;
  readonly w: number;
}

export interface LiteralLayer {
  readonly inSize: number;
  readonly outSize: number;
  readonly connections: readonly Connection[];
  /** Bias per output index j (zeros when the layer has none). */
  readonly bias: Float64Array;
}

/** A dense layer `y = x·W + b`, W given row-major as [in, out]. */
export function literalDense(
  weight: ArrayLike<number>,
  inSize: number,
  outSize: number,
  bias?: ArrayLike<number> | null,
): LiteralLayer {
  const connections: Connection[] = [];
  for (let i = 0; i < inSize; i++)
    for (let j = 0; j < outSize; j++) connections.push({ i, j, w: weight[i * outSize + j] });
  return { inSize, outSize, connections, bias: Float64Array.from(bias ?? new Array(outSize).fill(0)) };
}

/**
 * An NHWC conv of one sample `[H, W, C]` with weight `[kh, kw, C, O]`, explicit zero padding
 * `[top, bottom, left, right]` and strides: padded positions are simply not connected.
 */
export function literalConv(
  inShape: readonly [number, number, number],
  weight: ArrayLike<number>,
  kernel: readonly [number, number, number, number],
  bias: ArrayLike<number> | null,
  strides: readonly [number, number] = [1, 1],
  pad: readonly [number, number, number, number] = [0, 0, 0, 0],
): LiteralLayer & { outShape: [number, number, number] } {
  const [H, W, C] = inShape;
  const [kh, kw, , O] = kernel;
  const outH = Math.floor((H + pad[0] + pad[1] - kh) / strides[0]) + 1;
  const outW = Math.floor((W + pad[2] + pad[3] - kw) / strides[1]) + 1;
  const connections: Connection[] = [];
  const outBias = new Float64Array(outH * outW * O);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      for (let o = 0; o < O; o++) {
        const j = (oh * outW + ow) * O + o;
        outBias[j] = bias ? bias[o] : 0;
        for (let p = 0; p < kh; p++) {
          for (let q = 0; q < kw; q++) {
            const ih = oh * strides[0] + p - pad[0];
            const iw = ow * strides[1] + q - pad[2];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++)
              connections.push({ i: (ih * W + iw) * C + c, j, w: weight[((p * kw + q) * C + c) * O + o] });
          }
        }
      }
    }
  }
  return {
    inSize: H * W * C,
    outSize: outH * outW * O,
    connections,
    bias: outBias,
    outShape: [outH, outW, O],
  };
}

export type LiteralRule =
  | { readonly rule: 'epsilon'; readonly epsilon: number; readonly zeroBias?: boolean }
  | { readonly rule: 'zPlus'; readonly stabilizer: number; readonly zeroBias?: boolean }
  | {
      readonly rule: 'alphaBeta';
      readonly alpha: number;
      readonly beta: number;
      readonly stabilizer: number;
      readonly zeroBias?: boolean;
    }
  | {
      readonly rule: 'gamma';
      readonly gamma: number;
      readonly stabilizer: number;
      readonly zeroBias?: boolean;
    }
  /** Bounds: one number, or one value per (flat, per-sample) input index. */
  | {
      readonly rule: 'zBox';
      readonly low: number | ArrayLike<number>;
      readonly high: number | ArrayLike<number>;
      readonly stabilizer: number;
      readonly zeroBias?: boolean;
    }
  | { readonly rule: 'flat'; readonly stabilizer: number }
  | { readonly rule: 'wSquare'; readonly stabilizer: number; readonly zeroBias?: boolean };

const stab = (z: number, e: number) => z + e * (z >= 0 ? 1 : -1);
const pos = (v: number) => Math.max(v, 0);
const neg = (v: number) => Math.min(v, 0);

/**
 * Relevance at the layer input for relevance `R` at its output: `R_i = Σ_j c_ij · R_j / stab(Σ_i' c_i'j + bias term)`,
 * with the contribution `c_ij` and bias term of each rule (Zennit's definitions, FORMAT §8).
 */
export function literalRelevance(
  layer: LiteralLayer,
  x: ArrayLike<number>,
  R: ArrayLike<number>,
  spec: LiteralRule,
): Float64Array {
  const out = new Float64Array(layer.inSize);
  const b = (j: number) => ('zeroBias' in spec && spec.zeroBias ? 0 : layer.bias[j]);
  // One or two "views" of the layer, each a contribution c(x_i, w, i) and a bias b_j; gamma adds a mask.
  type View = {
    c: (x: number, w: number, i: number) => number;
    b: (j: number) => number;
    factor: number;
    mask?: (j: number) => boolean;
  };
  const at = (bound: number | ArrayLike<number>, i: number) => (typeof bound === 'number' ? bound : bound[i]);
  let views: View[];
  const plain = new Float64Array(layer.outSize);
  for (const { i, j, w } of layer.connections) plain[j] += x[i] * w;
  for (let j = 0; j < layer.outSize; j++) plain[j] += layer.bias[j];
  switch (spec.rule) {
    case 'epsilon':
      views = [{ c: (xi, w) => xi * w, b, factor: 1 }];
      break;
    case 'zPlus':
      views = [{ c: (xi, w) => pos(xi) * pos(w) + neg(xi) * neg(w), b: (j) => pos(b(j)), factor: 1 }];
      break;
    case 'alphaBeta':
      views = [
        { c: (xi, w) => pos(xi) * pos(w) + neg(xi) * neg(w), b: (j) => pos(b(j)), factor: spec.alpha },
        { c: (xi, w) => pos(xi) * neg(w) + neg(xi) * pos(w), b: (j) => neg(b(j)), factor: -spec.beta },
      ];
      break;
    case 'gamma': {
      const g = spec.gamma;
      const up = (v: number) => v + g * pos(v);
      const down = (v: number) => v + g * neg(v);
      views = [
        {
          c: (xi, w) => pos(xi) * up(w) + neg(xi) * down(w),
          b: (j) => up(b(j)),
          factor: 1,
          mask: (j) => plain[j] > 0,
        },
        {
          c: (xi, w) => pos(xi) * down(w) + neg(xi) * up(w),
          b: (j) => down(b(j)),
          factor: 1,
          mask: (j) => plain[j] < 0,
        },
      ];
      break;
    }
    case 'zBox':
      views = [
        {
          c: (xi, w, i) => xi * w - at(spec.low, i) * pos(w) - at(spec.high, i) * neg(w),
          b: (j) => b(j) - pos(b(j)) - neg(b(j)),
          factor: 1,
        },
      ];
      break;
    case 'flat':
      views = [{ c: () => 1, b: () => 0, factor: 1 }];
      break;
    case 'wSquare':
      views = [{ c: (_xi, w) => w * w, b: (j) => b(j) * b(j), factor: 1 }];
      break;
  }
  const epsilon = spec.rule === 'epsilon' ? spec.epsilon : spec.stabilizer;
  for (const view of views) {
    const z = new Float64Array(layer.outSize);
    for (const { i, j, w } of layer.connections) z[j] += view.c(x[i], w, i);
    for (let j = 0; j < layer.outSize; j++) z[j] += view.b(j);
    for (const { i, j, w } of layer.connections) {
      if (view.mask && !view.mask(j)) continue;
      out[i] += (view.factor * view.c(x[i], w, i) * R[j]) / stab(z[j], epsilon);
    }
  }
  return out;
}
