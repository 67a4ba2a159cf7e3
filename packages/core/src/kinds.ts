import * as tf from '@tensorflow/tfjs-core';
import type { Config, KindBehaviour, KindDefinition } from './module.js';
import { expectShape, normalizeAxis, pickJson, requireParam } from './kind-config.js';
import { activationKindDefinitions, softmaxAlong } from './kinds-activation.js';
import { sliceForward, tensorKindDefinitions, validateSlice } from './kinds-tensor.js';
import { foldIntoLastAxis, spatialKindDefinitions } from './kinds-spatial.js';

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

/** The kinds every graph can use; plugins add more with `registerKind`. */
export const builtinKindDefinitions: readonly KindDefinition[] = [
  linear,
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
    // Any axis but the batch axis: concatenating along it would append rows, not features.
    forward: (inputs, _p, c) =>
      tf.concat(
        inputs as tf.Tensor[],
        normalizeAxis((c.axis as number | undefined) ?? -1, inputs[0].rank, 'axis'),
      ),
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
  ...spatialKindDefinitions,
];

export const builtinKinds: readonly string[] = builtinKindDefinitions.map((d) => d.kind);
