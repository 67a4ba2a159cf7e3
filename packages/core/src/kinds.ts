import * as tf from '@tensorflow/tfjs-core';
import { conv2dInputGradient } from './fast-conv-gradient.js';
import type { ChannelAffine, Config, KindBehaviour, KindDefinition } from './module.js';
import { maxPoolFirstMaximum, padSpatial } from './pooling.js';
import { expectShape, numbers, pickJson, requireParam } from './kind-config.js';
import { activationKindDefinitions, softmaxAlong } from './kinds-activation.js';
import { sliceForward, tensorKindDefinitions, validateSlice } from './kinds-tensor.js';

type P = Readonly<Record<string, tf.Tensor | null>>;

/** Weights whose last axis is the output channel: `(y − center)·scale + shift` folds into weight and bias. */
function foldIntoLastAxis(params: P, _config: Config, affine: ChannelAffine) {
  const { center, scale, shift } = affine;
  const bias = params.bias ?? tf.zeros(scale.shape);
  return { weight: tf.mul(params.weight!, scale), bias: tf.add(tf.mul(tf.sub(bias, center), scale), shift) };
}

const linear: KindDefinition = {
  kind: 'linear',
  category: 'linear',
  behaviour: {
    map: 'affine',
    lrp: 'dense',
    foldChannelAffine: foldIntoLastAxis,
    inputVjp: (dy, params, _config, inputShape) =>
      inputShape.length === 2 && dy.rank === 2 ? tf.matMul(dy, params.weight!, false, true) : null,
  },
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
  behaviour: {
    map: 'affine',
    lrp: 'convolution',
    foldChannelAffine: foldIntoLastAxis,
    // Core's input gradient picks the fastest route per backend (a forward conv with flipped filters on wasm).
    inputVjp: (dy, params, config, inputShape) =>
      conv2dInputGradient(dy as tf.Tensor4D, params.weight as tf.Tensor4D, inputShape, {
        strides: numbers(config, 'strides', 2, [1, 1]),
        pad: numbers(config, 'pad', 4, [0, 0, 0, 0]) as [number, number, number, number],
        dilations: numbers(config, 'dilations', 2, [1, 1]),
      }),
  },
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
  behaviour: {
    map: 'affine',
    lrp: 'batchnorm',
    channelAffine(params, config) {
      const epsilon = (config.epsilon as number | undefined) ?? 1e-5;
      const scale = tf.div(params.gamma!, tf.sqrt(tf.add(params.variance!, epsilon)));
      return { center: params.mean!, scale, shift: params.beta! };
    },
  },
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

/** Elementwise nonlinearities: DeepLift rescales them, LRP passes relevance through. */
const elementwise: KindBehaviour = { map: 'elementwise', lrp: 'activation' };

function activation(
  kind: string,
  behaviour: KindBehaviour,
  fn: (x: tf.Tensor, config: Config) => tf.Tensor,
  keys: string[] = [],
): KindDefinition {
  return {
    kind,
    category: 'activation',
    behaviour,
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
    behaviour: kind === 'maxpool2d' ? { map: 'max', lrp: 'maxpool' } : { map: 'affine', lrp: 'average' },
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
  activation('relu', { ...elementwise, relu: true }, (x) => tf.relu(x)),
  activation('sigmoid', elementwise, (x) => tf.sigmoid(x)),
  activation('tanh', elementwise, (x) => tf.tanh(x)),
  activation('softplus', elementwise, (x) => tf.softplus(x)),
  activation('elu', elementwise, (x) => tf.elu(x)),
  activation('leakyRelu', elementwise, (x, c) => tf.leakyRelu(x, (c.alpha as number | undefined) ?? 0.01), [
    'alpha',
  ]),
  // Not elementwise (each output reads the whole axis), so DeepLift has no rule for it; LRP passes it.
  activation(
    'softmax',
    { map: 'other', lrp: 'activation' },
    (x, c) => softmaxAlong(x, (c.axis as number | undefined) ?? -1),
    ['axis'],
  ),
  activation('identity', { map: 'affine', lrp: 'activation' }, (x) => tf.clone(x)),
  pool('maxpool2d'),
  pool('avgpool2d'),
  {
    kind: 'globalAvgPool',
    category: 'pool',
    behaviour: { map: 'affine', lrp: 'average' },
    arity: 1,
    paramNames: [],
    forward: ([x]) => tf.mean(x, [1, 2]),
  },
  {
    kind: 'flatten',
    category: 'shape',
    behaviour: { map: 'affine', lrp: 'gradient' },
    arity: 1,
    paramNames: [],
    forward: ([x]) => tf.reshape(x, [x.shape[0], -1]),
  },
  {
    kind: 'add',
    category: 'merge',
    behaviour: { map: 'affine', lrp: 'add' },
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
    behaviour: { map: 'affine', lrp: 'gradient' },
    arity: 'variadic',
    paramNames: [],
    fromJson: pickJson('axis'),
    forward: (inputs, _p, c) => tf.concat(inputs as tf.Tensor[], (c.axis as number | undefined) ?? -1),
  },
  {
    kind: 'slice',
    category: 'shape',
    behaviour: { map: 'affine', lrp: 'gradient' },
    arity: 1,
    paramNames: [],
    fromJson: pickJson('begin', 'size', 'axes'),
    validate: validateSlice,
    forward: ([x], _p, c) => sliceForward(x, c),
  },
  ...activationKindDefinitions,
  ...tensorKindDefinitions,
];

export const builtinKinds: readonly string[] = builtinKindDefinitions.map((d) => d.kind);
