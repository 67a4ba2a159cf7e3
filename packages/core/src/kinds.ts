import * as tf from '@tensorflow/tfjs-core';
import type { Config, KindDefinition } from './module.js';
import { maxPoolFirstMaximum, padSpatial } from './pooling.js';
import { expectShape, numbers, pickJson, requireParam } from './kind-config.js';

const linear: KindDefinition = {
  kind: 'linear',
  category: 'linear',
  arity: 1,
  paramNames: ['weight', 'bias'],
  validate(params) {
    const weight = requireParam(params, 'weight');
    expectShape(weight, 'weight', 2, {});
    expectShape(params.bias, 'bias', 1, { 0: weight.shape[1] as number });
  },
  forward([x], params) {
    const weight = params.weight as tf.Tensor2D;
    const flat =
      x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D);
    let y: tf.Tensor = tf.matMul(flat, weight);
    if (params.bias) y = tf.add(y, params.bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[1]]);
  },
};

const conv2d: KindDefinition = {
  kind: 'conv2d',
  category: 'linear',
  arity: 1,
  paramNames: ['weight', 'bias'],
  fromJson: pickJson('strides', 'pad', 'dilations'),
  validate(params, config) {
    const weight = requireParam(params, 'weight');
    expectShape(weight, 'weight', 4, {});
    expectShape(params.bias, 'bias', 1, { 0: weight.shape[3] as number });
    numbers(config, 'strides', 2, [1, 1]);
    numbers(config, 'pad', 4, [0, 0, 0, 0]);
    numbers(config, 'dilations', 2, [1, 1]);
  },
  forward([x], params, config) {
    const [top, bottom, left, right] = numbers(config, 'pad', 4, [0, 0, 0, 0]);
    const strides = numbers(config, 'strides', 2, [1, 1]) as [number, number];
    const dilations = numbers(config, 'dilations', 2, [1, 1]) as [number, number];
    const pad =
      top + bottom + left + right === 0
        ? 'valid'
        : ([
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ] as [[number, number], [number, number], [number, number], [number, number]]);
    let y: tf.Tensor = tf.conv2d(
      x as tf.Tensor4D,
      params.weight as tf.Tensor4D,
      strides,
      pad,
      'NHWC',
      dilations,
    );
    if (params.bias) y = tf.add(y, params.bias);
    return y;
  },
};

const batchnorm: KindDefinition = {
  kind: 'batchnorm',
  category: 'norm',
  arity: 1,
  paramNames: ['mean', 'variance', 'gamma', 'beta'],
  fromJson: pickJson('epsilon'),
  validate(params) {
    const mean = requireParam(params, 'mean');
    for (const name of ['variance', 'gamma', 'beta'])
      expectShape(requireParam(params, name), name, 1, { 0: mean.shape[0] });
  },
  forward([x], params, config) {
    const epsilon = (config.epsilon as number | undefined) ?? 1e-5;
    // Written in the reference's order, (x − mean)/sqrt(var + ε)·γ + β, to round alike.
    const std = tf.sqrt(tf.add(params.variance!, epsilon));
    return tf.add(tf.mul(tf.div(tf.sub(x, params.mean!), std), params.gamma!), params.beta!);
  },
};

function activation(
  kind: string,
  fn: (x: tf.Tensor, config: Config) => tf.Tensor,
  keys: string[] = [],
): KindDefinition {
  return {
    kind,
    category: 'activation',
    arity: 1,
    paramNames: [],
    fromJson: pickJson(...keys),
    forward: ([x], _p, c) => fn(x, c),
  };
}

function pool(kind: 'maxpool2d' | 'avgpool2d'): KindDefinition {
  return {
    kind,
    category: 'pool',
    arity: 1,
    paramNames: [],
    fromJson: pickJson('size', 'strides', 'pad'),
    validate(_params, config) {
      numbers(config, 'size', 2);
      numbers(config, 'strides', 2, numbers(config, 'size', 2));
      numbers(config, 'pad', 4, [0, 0, 0, 0]);
    },
    forward([x], _params, config) {
      const size = numbers(config, 'size', 2) as [number, number];
      const strides = numbers(config, 'strides', 2, size) as [number, number];
      const pad = numbers(config, 'pad', 4, [0, 0, 0, 0]);
      const padded = padSpatial(x as tf.Tensor4D, pad, kind === 'maxpool2d' ? -Infinity : 0);
      if (kind === 'avgpool2d') return tf.avgPool(padded, size, strides, 'valid');
      const tiles = size[0] === strides[0] && size[1] === strides[1] && pad.every((p) => p === 0);
      return tiles ? maxPoolFirstMaximum(padded, size) : tf.maxPool(padded, size, strides, 'valid');
    },
  };
}

/** The kinds every graph can use; plugins add more with `registerKind`. */
export const builtinKindDefinitions: readonly KindDefinition[] = [
  linear,
  conv2d,
  batchnorm,
  activation('relu', (x) => tf.relu(x)),
  activation('sigmoid', (x) => tf.sigmoid(x)),
  activation('tanh', (x) => tf.tanh(x)),
  activation('softplus', (x) => tf.softplus(x)),
  activation('elu', (x) => tf.elu(x)),
  activation('leakyRelu', (x, c) => tf.leakyRelu(x, (c.alpha as number | undefined) ?? 0.01), ['alpha']),
  activation('softmax', (x, c) => tf.softmax(x, (c.axis as number | undefined) ?? -1), ['axis']),
  activation('identity', (x) => tf.clone(x)),
  pool('maxpool2d'),
  pool('avgpool2d'),
  {
    kind: 'globalAvgPool',
    category: 'pool',
    arity: 1,
    paramNames: [],
    forward: ([x]) => tf.mean(x, [1, 2]),
  },
  {
    kind: 'flatten',
    category: 'shape',
    arity: 1,
    paramNames: [],
    forward: ([x]) => tf.reshape(x, [x.shape[0], -1]),
  },
  {
    kind: 'add',
    category: 'merge',
    arity: 'variadic',
    paramNames: [],
    forward: (inputs) =>
      inputs.length === 1
        ? tf.clone(inputs[0])
        : inputs.slice(1).reduce((acc, t) => tf.add(acc, t), inputs[0]),
  },
  {
    kind: 'concat',
    category: 'merge',
    arity: 'variadic',
    paramNames: [],
    fromJson: pickJson('axis'),
    forward: (inputs, _p, c) => tf.concat(inputs as tf.Tensor[], (c.axis as number | undefined) ?? -1),
  },
  {
    kind: 'slice',
    category: 'shape',
    arity: 1,
    paramNames: [],
    fromJson: pickJson('begin', 'size'),
    validate(_p, c) {
      if (!Array.isArray(c.begin) || !Array.isArray(c.size) || c.begin.length !== c.size.length) {
        throw new Error(`'begin' and 'size' must be integer lists of equal length`);
      }
    },
    forward: ([x], _p, c) => tf.slice(x, c.begin as number[], c.size as number[]),
  },
];

export const builtinKinds: readonly string[] = builtinKindDefinitions.map((d) => d.kind);
