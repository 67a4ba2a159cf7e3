import { seededRandom } from './random.js';

/** A model in the `attrib-model/1` JSON format (see shared/conformance/FORMAT.md). */
export interface TinyModelSpec {
  format: 'attrib-model/1';
  id: string;
  layout: 'NHWC';
  input: { name: string; shape: (number | null)[] };
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
