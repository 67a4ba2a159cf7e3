import { seededRandom } from './random.js';

/** A model in the `attrib-model/1` JSON format (see shared/conformance/FORMAT.md). */
export interface TinyModelSpec {
  format: 'attrib-model/1';
  id: string;
  layout: 'NHWC';
  input: { name: string; shape: (number | null)[]; dtype?: 'float32' | 'int32' };
  nodes: Array<Record<string, unknown> & { name: string; op: string; inputs: string[] }>;
  output: string;
}

function weights(shape: number[], seed: number, scale = 0.5) {
  const next = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: size }, () => Math.fround((next() * 2 - 1) * scale)) };
}

/**
 * Small models with fixed, seeded weights, written as JSON specs so that this package needs no
 * Attrib code (core's own tests use it). Load them with core's `loadModel`.
 */
export const tinyModels = {
  /** x[3] → linear(4) → relu → linear(2). */
  mlp(): TinyModelSpec {
    return {
      format: 'attrib-model/1',
      id: 'tiny_mlp',
      layout: 'NHWC',
      input: { name: 'x', shape: [null, 3] },
      nodes: [
        { name: 'fc1', op: 'linear', inputs: ['x'], weight: weights([3, 4], 1), bias: weights([4], 2) },
        { name: 'relu1', op: 'relu', inputs: ['fc1'] },
        { name: 'fc2', op: 'linear', inputs: ['relu1'], weight: weights([4, 2], 3), bias: weights([2], 4) },
      ],
      output: 'fc2',
    };
  },
  /** x[4,4,2] → conv3x3(3, pad 1) → batchnorm → relu → maxpool2 → flatten → linear(3). */
  cnn(): TinyModelSpec {
    return {
      format: 'attrib-model/1',
      id: 'tiny_cnn',
      layout: 'NHWC',
      input: { name: 'x', shape: [null, 4, 4, 2] },
      nodes: [
        {
          name: 'conv',
          op: 'conv2d',
          inputs: ['x'],
          weight: weights([3, 3, 2, 3], 5),
          bias: weights([3], 6, 0.1),
          strides: [1, 1],
          pad: [1, 1, 1, 1],
          dilations: [1, 1],
        },
        {
          name: 'bn',
          op: 'batchnorm',
          inputs: ['conv'],
          mean: weights([3], 7, 0.1),
          variance: { shape: [3], data: [0.5, 1, 1.5] },
          gamma: weights([3], 8),
          beta: weights([3], 9, 0.1),
          epsilon: 1e-5,
        },
        { name: 'relu', op: 'relu', inputs: ['bn'] },
        { name: 'pool', op: 'maxpool2d', inputs: ['relu'], size: [2, 2], strides: [2, 2], pad: [0, 0, 0, 0] },
        { name: 'flatten', op: 'flatten', inputs: ['pool'] },
        {
          name: 'fc',
          op: 'linear',
          inputs: ['flatten'],
          weight: weights([12, 3], 10),
          bias: weights([3], 11),
        },
      ],
      output: 'fc',
    };
  },
  /** x[4] → linear(4) → relu → (+ x) → linear(2): a residual add and a branch. */
  residual(): TinyModelSpec {
    return {
      format: 'attrib-model/1',
      id: 'tiny_residual',
      layout: 'NHWC',
      input: { name: 'x', shape: [null, 4] },
      nodes: [
        { name: 'fc1', op: 'linear', inputs: ['x'], weight: weights([4, 4], 12), bias: weights([4], 13) },
        { name: 'relu1', op: 'relu', inputs: ['fc1'] },
        { name: 'add', op: 'add', inputs: ['relu1', 'x'] },
        { name: 'fc2', op: 'linear', inputs: ['add'], weight: weights([4, 2], 14), bias: null },
      ],
      output: 'fc2',
    };
  },
};

/**
 * Token ids [6] (vocabulary 11, id 0 = padding) → embedding(8) → layerNorm → two self-attention heads
 * of width 4 (q, k, v linears; kᵀ by transpose; softmax(q·kᵀ/2)·v) → concat → residual add →
 * mean over tokens → linear(3).
 *
 * Apart from `tinyModels` (whose float inputs tests loop over): its input is int32 ids.
 */
export function tokenAttentionModel(): TinyModelSpec {
  const heads = [0, 1].flatMap((h) => {
    const seed = 100 + 10 * h;
    return [
      { name: `q${h}`, op: 'linear', inputs: ['ln'], weight: weights([8, 4], seed) },
      { name: `k${h}`, op: 'linear', inputs: ['ln'], weight: weights([8, 4], seed + 1) },
      { name: `v${h}`, op: 'linear', inputs: ['ln'], weight: weights([8, 4], seed + 2) },
      { name: `kT${h}`, op: 'transpose', inputs: [`k${h}`], perm: [0, 2, 1] },
      { name: `scores${h}`, op: 'matmul', inputs: [`q${h}`, `kT${h}`] },
      { name: `scaled${h}`, op: 'scaleShift', inputs: [`scores${h}`], scale: { shape: [1], data: [0.5] } },
      { name: `attention${h}`, op: 'softmax', inputs: [`scaled${h}`], axis: -1 },
      { name: `context${h}`, op: 'matmul', inputs: [`attention${h}`, `v${h}`] },
    ];
  });
  return {
    format: 'attrib-model/1',
    id: 'tiny_token_attention',
    layout: 'NHWC',
    input: { name: 'ids', shape: [null, 6], dtype: 'int32' },
    nodes: [
      { name: 'emb', op: 'embedding', inputs: ['ids'], weight: weights([11, 8], 90, 1) },
      { name: 'ln', op: 'layerNorm', inputs: ['emb'], gamma: weights([8], 91), beta: weights([8], 92) },
      ...heads,
      { name: 'heads', op: 'concat', inputs: ['context0', 'context1'], axis: -1 },
      { name: 'residual', op: 'add', inputs: ['ln', 'heads'] },
      { name: 'pool', op: 'reduceMean', inputs: ['residual'], axes: [1] },
      { name: 'fc', op: 'linear', inputs: ['pool'], weight: weights([8, 3], 93), bias: weights([3], 94) },
    ],
    output: 'fc',
  };
}
