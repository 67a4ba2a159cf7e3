import type { TinyModelSpec } from './tiny-models.js';

/**
 * Slow, literal DeepLift (rescale rule) for `x → dense → activation (→ + x) → dense`, one sample at a
 * time in float64 on the host, written from the paper's formula. It shares no code with
 * @attrib/gradients on purpose; tests hold the batched reverse walk against it.
 */
export type LiteralActivation = 'relu' | 'sigmoid' | 'tanh';

const apply: Record<LiteralActivation, (z: number) => number> = {
  relu: (z) => Math.max(z, 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: Math.tanh,
};

const derivative: Record<LiteralActivation, (z: number) => number> = {
  relu: (z) => (z > 0 ? 1 : 0),
  sigmoid: (z) => apply.sigmoid(z) * (1 - apply.sigmoid(z)),
  tanh: (z) => 1 - Math.tanh(z) ** 2,
};

export interface LiteralMlp {
  /** First layer weight [in][hidden] and bias [hidden]; second layer weight [hidden][out]. */
  readonly w1: readonly (readonly number[])[];
  readonly b1: readonly number[];
  readonly w2: readonly (readonly number[])[];
  readonly activation: LiteralActivation;
  /** Adds the input to the activation before the second layer (needs in = hidden). */
  readonly residual?: boolean;
}

export interface LiteralDeepLiftSample {
  /** Input attributions `(x_i − b_i)·Σ_j W1[i][j]·m_j·W2[j][t]` (+ `(x_i − b_i)·W2[i][t]` for the skip). */
  readonly input: number[];
  /** At the first layer's output: `Δz_j·m_j·W2[j][t]`. */
  readonly hidden: number[];
  /** At the activation's input with its plain derivative: `Δz_j·act'(z_j)·W2[j][t]`. */
  readonly activationInput: number[];
  /** At the activation's output: `Δact_j·W2[j][t]`. */
  readonly activationOutput: number[];
  /** Input attributions for hidden unit j after the activation: `(x_i − b_i)·W1[i][j]·m_j`. */
  neuron(j: number): number[];
}

/** m_j = Δact_j/Δz_j, or act'(z_j) where |Δz_j| < eps. */
export function literalDeepLiftMlp(
  net: LiteralMlp,
  x: readonly number[][],
  b: readonly number[][],
  targets: readonly number[],
  eps = 1e-10,
): LiteralDeepLiftSample[] {
  const { w1, b1, w2, activation } = net;
  const f = apply[activation];
  return x.map((xs, n) => {
    const bs = b[n];
    const t = targets[n];
    const z = (v: readonly number[]) =>
      b1.map((bias, j) => bias + v.reduce((s, vi, i) => s + vi * w1[i][j], 0));
    const [zx, zb] = [z(xs), z(bs)];
    const m = zx.map((zj, j) =>
      Math.abs(zj - zb[j]) < eps ? derivative[activation](zj) : (f(zj) - f(zb[j])) / (zj - zb[j]),
    );
    return {
      input: xs.map(
        (xi, i) =>
          (xi - bs[i]) *
          (zx.reduce((s, _, j) => s + w1[i][j] * m[j] * w2[j][t], 0) + (net.residual ? w2[i][t] : 0)),
      ),
      hidden: zx.map((zj, j) => (zj - zb[j]) * m[j] * w2[j][t]),
      activationInput: zx.map((zj, j) => (zj - zb[j]) * derivative[activation](zj) * w2[j][t]),
      activationOutput: zx.map((zj, j) => (f(zj) - f(zb[j])) * w2[j][t]),
      neuron: (j: number) => xs.map((xi, i) => (xi - bs[i]) * w1[i][j] * m[j]),
    };
  });
}

/** A tiny model spec with every ReLU node swapped for another activation. */
export function withActivation(spec: TinyModelSpec, activation: LiteralActivation): TinyModelSpec {
  return { ...spec, nodes: spec.nodes.map((n) => (n.op === 'relu' ? { ...n, op: activation } : n)) };
}

/** The literal net of `tinyModels.mlp()` or `.residual()` (possibly `withActivation`), read from the JSON. */
export function literalMlpFromSpec(spec: TinyModelSpec): LiteralMlp {
  const node = (name: string) => spec.nodes.find((n) => n.name === name)!;
  const rows = (t: { shape: number[]; data: number[] }) =>
    Array.from({ length: t.shape[0] }, (_, i) => t.data.slice(i * t.shape[1], (i + 1) * t.shape[1]));
  const fc1 = node('fc1') as unknown as {
    weight: { shape: number[]; data: number[] };
    bias: { data: number[] };
  };
  const fc2 = node('fc2') as unknown as { weight: { shape: number[]; data: number[] } };
  return {
    w1: rows(fc1.weight),
    b1: fc1.bias.data,
    w2: rows(fc2.weight),
    activation: spec.nodes.find((n) => n.inputs[0] === 'fc1')!.op as LiteralActivation,
    residual: spec.nodes.some((n) => n.op === 'add'),
  };
}
