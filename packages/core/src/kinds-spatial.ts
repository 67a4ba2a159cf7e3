import * as tf from '@tensorflow/tfjs-core';
import { expectShape, pickJson, requireParam } from './kind-config.js';
import { conv2dInputGradient } from './fast-conv-gradient.js';
import { depthwiseInputGradient, padOrCrop, type Pads4 } from './kinds-spatial-gradients.js';
import type { ChannelAffine, Config, KindBehaviour, KindDefinition } from './module.js';
import { avgPoolDifferentiable, dilateSpatial, maxPoolFirstMaximum, padSpatial } from './pooling.js';

/*
 * Convolutions, pools, resampling and padding over NHWC images (NLC sequences for conv1d). Every kind
 * resolves its padding to explicit [top, bottom, left, right] amounts first, so 'same' means one thing
 * (TensorFlow's: the odd row or column goes at the bottom/right) for convs, pools and their gradients.
 * Config errors are plain Errors naming the kind and key; createModule makes them GraphErrors naming
 * the node, graph.forward makes run-time ones ShapeMismatchErrors naming the node and input shapes.
 */

type Pair = [number, number];
export type SpatialPad = 'same' | 'valid' | readonly number[];

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** `config[key]` as `length` integers ≥ `min` (`fallback` when absent). */
function integers(
  kind: string,
  config: Config,
  key: string,
  length: number,
  fallback?: number[],
  min = 1,
): number[] {
  const value = config[key] ?? fallback;
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((v) => Number.isInteger(v) && v >= min)
  ) {
    throw new Error(
      `${kind} config '${key}' must be ${length} integer(s) ≥ ${min}, but got ${describe(config[key])}`,
    );
  }
  return value as number[];
}

function integer(kind: string, config: Config, key: string, fallback: number, min = 1): number {
  const value = config[key] ?? fallback;
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new Error(`${kind} config '${key}' must be an integer ≥ ${min}, but got ${describe(config[key])}`);
  }
  return value as number;
}

function flag(kind: string, config: Config, key: string, fallback: boolean): boolean {
  const value = config[key] ?? fallback;
  if (typeof value !== 'boolean')
    throw new Error(`${kind} config '${key}' must be a boolean, but got ${describe(value)}`);
  return value;
}

/** 'same', 'valid' or `2·spatialRank` non-negative integers (default: no padding). */
function padSpec(kind: string, config: Config, key: string, spatialRank: 1 | 2): SpatialPad {
  const value = config[key] ?? 'valid';
  if (value === 'same' || value === 'valid') return value;
  const length = 2 * spatialRank;
  if (Array.isArray(value) && value.length === length && value.every((v) => Number.isInteger(v) && v >= 0)) {
    return value as number[];
  }
  const names = spatialRank === 2 ? '[top, bottom, left, right]' : '[left, right]';
  throw new Error(
    `${kind} config '${key}' must be 'same', 'valid' or ${length} non-negative integers ${names}, but got ${describe(value)}`,
  );
}

/**
 * Explicit [before, after] padding of one spatial axis. TensorFlow's 'same': the output has
 * ceil(size / stride) positions and the padding the windows need beyond the input is split with the
 * odd one after (bottom/right).
 */
function resolveAxis(pad: 'same' | 'valid', size: number, effectiveKernel: number, stride: number): Pair {
  if (pad === 'valid') return [0, 0];
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effectiveKernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [top, bottom, left, right] for an NHWC input of spatial size [h, w]. */
function resolvePads(
  pad: SpatialPad,
  [h, w]: readonly number[],
  effectiveKernel: readonly number[],
  strides: readonly number[],
): Pads4 {
  if (pad !== 'same' && pad !== 'valid') return pad as unknown as Pads4;
  return [
    ...resolveAxis(pad, h, effectiveKernel[0], strides[0]),
    ...resolveAxis(pad, w, effectiveKernel[1], strides[1]),
  ] as unknown as Pads4;
}

const effective = (kernel: readonly number[], dilations: readonly number[]) =>
  kernel.map((k, i) => (k - 1) * dilations[i] + 1);

function explicit([top, bottom, left, right]: Pads4): 'valid' | [Pair, Pair, Pair, Pair] {
  return top + bottom + left + right === 0
    ? 'valid'
    : [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
}

function expectInput(kind: string, x: tf.Tensor, rank: number, layout: string): void {
  if (x.rank !== rank)
    throw new Error(`${kind} expects a rank-${rank} ${layout} input, but got shape [${x.shape}]`);
}

interface ConvOptions {
  strides: Pair;
  dilations: Pair;
  pads: Pads4;
  groups: number;
}

/**
 * NHWC convolution with `weight [kh, kw, cin/groups, cout]`: output channels come in `groups` blocks,
 * block g reading input channels g·cin/groups… Plain convs go to tfjs's Conv2D (whose input gradient
 * is core's fast one), one-input-channel groups to the depthwise kernel (same weights, reshaped),
 * other groups to one Conv2D per group.
 */
function convolve(
  kind: string,
  x: tf.Tensor4D,
  weight: tf.Tensor4D,
  { strides, dilations, pads, groups }: ConvOptions,
) {
  const [kh, kw, perGroup, cout] = weight.shape;
  const cin = x.shape[3];
  if (cin !== perGroup * groups) {
    throw new Error(
      `${kind} expects ${perGroup * groups} input channels (weight's ${perGroup} × groups ${groups}), but got ${cin}`,
    );
  }
  const padding = explicit(pads);
  if (groups === 1) return tf.conv2d(x, weight, strides, padding, 'NHWC', dilations);
  if (perGroup === 1) {
    return tf.depthwiseConv2d(
      x,
      tf.reshape(weight, [kh, kw, cin, cout / cin]) as tf.Tensor4D,
      strides,
      padding,
      'NHWC',
      dilations,
    );
  }
  const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
  const ws = tf.split(weight, groups, 3) as tf.Tensor4D[];
  return tf.concat(
    xs.map((xi, g) => tf.conv2d(xi, ws[g]!, strides, padding, 'NHWC', dilations)),
    3,
  );
}

type NullableParams = Readonly<Record<string, tf.Tensor | null>>;

/**
 * Folds `(y − center)·scale + shift` on the output channels into weight and bias, for weights whose
 * last axis is the output channel (linear, conv2d, conv1d). `mergeBatchNorm` uses it.
 */
export function foldIntoLastAxis(params: NullableParams, _config: Config, affine: ChannelAffine) {
  return foldScaled(params, affine, affine.scale);
}

/** The same for a depthwise weight [kh, kw, cin, m], whose output channel c·m + j is two axes. */
function foldIntoDepthwise(params: NullableParams, _config: Config, affine: ChannelAffine) {
  const [, , cin, multiplier] = params.weight!.shape;
  return foldScaled(params, affine, tf.reshape(affine.scale, [cin, multiplier]));
}

function foldScaled(params: NullableParams, { center, scale, shift }: ChannelAffine, weightScale: tf.Tensor) {
  const bias = params.bias ?? tf.zeros(scale.shape);
  return {
    weight: tf.mul(params.weight!, weightScale),
    bias: tf.add(tf.mul(tf.sub(bias, center), scale), shift),
  };
}

function addBias(y: tf.Tensor, bias: tf.Tensor | null | undefined): tf.Tensor {
  return bias ? tf.add(y, bias) : y;
}

/** tfjs convolutions take a stride or a dilation above 1 on an axis pair, never both. */
function checkStrideOrDilation(kind: string, strides: number[], dilations: number[]): void {
  if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) {
    throw new Error(
      `${kind} takes strides > 1 or dilations > 1, not both (tfjs has no such kernel), but got strides [${strides}] and dilations [${dilations}]`,
    );
  }
}

function checkGroups(kind: string, groups: number, perGroupIn: number, cout: number): void {
  if (cout % groups !== 0) {
    throw new Error(
      `${kind} output channels (${cout}) must be a multiple of groups (${groups}); weight's in-channels per group are ${perGroupIn}`,
    );
  }
}

/** Strides, dilations and explicit pads of a conv2d-like kind for an NHWC input of `inputShape`. */
function convGeometry(
  kind: string,
  config: Config,
  inputShape: readonly number[],
  kernel: readonly number[],
) {
  const strides = integers(kind, config, 'strides', 2, [1, 1]) as Pair;
  const dilations = integers(kind, config, 'dilations', 2, [1, 1]) as Pair;
  const pads = resolvePads(
    padSpec(kind, config, 'pad', 2),
    inputShape.slice(1, 3),
    effective(kernel, dilations),
    strides,
  );
  return { strides, dilations, pads };
}

const convolution: Pick<KindBehaviour, 'map' | 'lrp'> = { map: 'affine', lrp: 'convolution' };

const conv2d: KindDefinition = {
  kind: 'conv2d',
  category: 'linear',
  behaviour: {
    ...convolution,
    foldChannelAffine: foldIntoLastAxis,
    // Core's input gradient picks the fastest route per backend (a forward conv with flipped filters on wasm).
    inputVjp: (dy, params, config, inputShape) => {
      if (integer('conv2d', config, 'groups', 1) !== 1) return null;
      const { strides, dilations, pads } = convGeometry(
        'conv2d',
        config,
        inputShape,
        params.weight!.shape.slice(0, 2),
      );
      return conv2dInputGradient(dy as tf.Tensor4D, params.weight as tf.Tensor4D, inputShape, {
        strides,
        dilations,
        pad: pads,
      });
    },
  },
  arity: 1,
  paramNames: ['weight', 'bias'],
  fromJson: pickJson('strides', 'pad', 'dilations', 'groups'),
  validate(params, config) {
    const weight = requireParam(params, 'weight');
    const shape = weight.shape as number[];
    expectShape(weight, 'weight', 4, {});
    expectShape(params.bias, 'bias', 1, { 0: shape[3] });
    const strides = integers('conv2d', config, 'strides', 2, [1, 1]);
    const dilations = integers('conv2d', config, 'dilations', 2, [1, 1]);
    padSpec('conv2d', config, 'pad', 2);
    checkStrideOrDilation('conv2d', strides, dilations);
    checkGroups('conv2d', integer('conv2d', config, 'groups', 1), shape[2], shape[3]);
  },
  forward([x], params, config) {
    expectInput('conv2d', x, 4, 'NHWC');
    const weight = params.weight as tf.Tensor4D;
    const geometry = convGeometry('conv2d', config, x.shape, weight.shape.slice(0, 2));
    const groups = integer('conv2d', config, 'groups', 1);
    return addBias(convolve('conv2d', x as tf.Tensor4D, weight, { ...geometry, groups }), params.bias);
  },
};

const depthwiseConv2d: KindDefinition = {
  kind: 'depthwiseConv2d',
  category: 'linear',
  behaviour: {
    ...convolution,
    foldChannelAffine: foldIntoDepthwise,
    inputVjp: (dy, params, config, inputShape) =>
      depthwiseInputGradient(
        dy as tf.Tensor4D,
        params.weight as tf.Tensor4D,
        inputShape,
        convGeometry('depthwiseConv2d', config, inputShape, params.weight!.shape.slice(0, 2)),
      ),
  },
  arity: 1,
  paramNames: ['weight', 'bias'],
  fromJson: pickJson('strides', 'pad', 'dilations'),
  validate(params, config) {
    const weight = requireParam(params, 'weight');
    const shape = weight.shape as number[];
    expectShape(weight, 'weight', 4, {});
    expectShape(params.bias, 'bias', 1, { 0: shape[2] * shape[3] });
    const strides = integers('depthwiseConv2d', config, 'strides', 2, [1, 1]);
    const dilations = integers('depthwiseConv2d', config, 'dilations', 2, [1, 1]);
    padSpec('depthwiseConv2d', config, 'pad', 2);
    checkStrideOrDilation('depthwiseConv2d', strides, dilations);
  },
  forward([x], params, config) {
    expectInput('depthwiseConv2d', x, 4, 'NHWC');
    const weight = params.weight as tf.Tensor4D;
    const [kh, kw, cin, multiplier] = weight.shape;
    const geometry = convGeometry('depthwiseConv2d', config, x.shape, [kh, kw]);
    // The same computation as a conv with one group per input channel.
    const asGroups = tf.reshape(weight, [kh, kw, 1, cin * multiplier]) as tf.Tensor4D;
    return addBias(
      convolve('depthwiseConv2d', x as tf.Tensor4D, asGroups, { ...geometry, groups: cin }),
      params.bias,
    );
  },
};

const conv1d: KindDefinition = {
  kind: 'conv1d',
  category: 'linear',
  behaviour: { ...convolution, foldChannelAffine: foldIntoLastAxis },
  arity: 1,
  paramNames: ['weight', 'bias'],
  fromJson: pickJson('stride', 'pad', 'dilation', 'groups'),
  validate(params, config) {
    const weight = requireParam(params, 'weight');
    const shape = weight.shape as number[];
    expectShape(weight, 'weight', 3, {});
    expectShape(params.bias, 'bias', 1, { 0: shape[2] });
    const stride = integer('conv1d', config, 'stride', 1);
    const dilation = integer('conv1d', config, 'dilation', 1);
    padSpec('conv1d', config, 'pad', 1);
    checkStrideOrDilation('conv1d', [stride], [dilation]);
    checkGroups('conv1d', integer('conv1d', config, 'groups', 1), shape[1], shape[2]);
  },
  forward([x], params, config) {
    expectInput('conv1d', x, 3, 'NLC');
    const weight = params.weight as tf.Tensor3D;
    const [, length] = (x as tf.Tensor3D).shape;
    const stride = integer('conv1d', config, 'stride', 1);
    const dilation = integer('conv1d', config, 'dilation', 1);
    const pad = padSpec('conv1d', config, 'pad', 1);
    // A conv2d over a height-1 image: [N, L, C] → [N, 1, L, C], weight [1, k, cin/groups, cout].
    const [, left, right] = resolvePads(
      pad === 'same' || pad === 'valid' ? pad : [0, 0, ...pad],
      [1, length],
      [1, (weight.shape[0] - 1) * dilation + 1],
      [1, stride],
    ).slice(1);
    const y = convolve(
      'conv1d',
      tf.expandDims(x, 1) as tf.Tensor4D,
      tf.expandDims(weight, 0) as tf.Tensor4D,
      {
        strides: [1, stride],
        dilations: [1, dilation],
        pads: [0, 0, left, right],
        groups: integer('conv1d', config, 'groups', 1),
      },
    );
    return addBias(tf.squeeze(y, [1]), params.bias);
  },
};

/**
 * The crop [top, bottom, left, right] and output padding [oh, ow] of a transposed conv. Explicit pads
 * crop the full output (PyTorch's `padding`); 'same' gives H·s rows and 'valid' (H−1)·s + max(k, s)
 * rows, as TensorFlow/Keras do.
 */
function transposeFraming(
  pad: SpatialPad,
  outputPadding: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
): { crop: Pads4; extra: readonly number[] } {
  if (pad !== 'same' && pad !== 'valid') return { crop: pad as unknown as Pads4, extra: outputPadding };
  const crop: number[] = [];
  const extra: number[] = [];
  for (const axis of [0, 1]) {
    const overhang = kernel[axis] - strides[axis];
    if (pad === 'same' && overhang > 0)
      crop.push(Math.floor(overhang / 2), overhang - Math.floor(overhang / 2));
    else crop.push(0, 0);
    extra.push(Math.max(-overhang, 0));
  }
  return { crop: crop as unknown as Pads4, extra };
}

const conv2dTranspose: KindDefinition = {
  kind: 'conv2dTranspose',
  category: 'linear',
  // No foldChannelAffine: its output channels are not the weight's last axis.
  behaviour: convolution,
  arity: 1,
  paramNames: ['weight', 'bias'],
  fromJson: pickJson('strides', 'pad', 'outputPadding', 'dilations', 'groups'),
  validate(params, config) {
    const weight = requireParam(params, 'weight');
    const shape = weight.shape as number[];
    expectShape(weight, 'weight', 4, {});
    const groups = integer('conv2dTranspose', config, 'groups', 1);
    expectShape(params.bias, 'bias', 1, { 0: shape[2] * groups });
    integers('conv2dTranspose', config, 'strides', 2, [1, 1]);
    integers('conv2dTranspose', config, 'dilations', 2, [1, 1]);
    const pad = padSpec('conv2dTranspose', config, 'pad', 2);
    const outputPadding = integers('conv2dTranspose', config, 'outputPadding', 2, [0, 0], 0);
    if (typeof pad === 'string' && outputPadding.some((p) => p > 0)) {
      throw new Error(
        `conv2dTranspose config 'outputPadding' needs explicit 'pad' amounts, but 'pad' is '${pad}'`,
      );
    }
    if (shape[3] % groups !== 0) {
      throw new Error(
        `conv2dTranspose weight in-channels (${shape[3]}) must be a multiple of groups (${groups})`,
      );
    }
  },
  forward([x], params, config) {
    expectInput('conv2dTranspose', x, 4, 'NHWC');
    const weight = params.weight as tf.Tensor4D;
    const [kh, kw, perGroupOut, cin] = weight.shape;
    const groups = integer('conv2dTranspose', config, 'groups', 1);
    if (x.shape[3] !== cin) {
      throw new Error(
        `conv2dTranspose expects ${cin} input channels (the weight's last axis), but got ${x.shape[3]}`,
      );
    }
    const strides = integers('conv2dTranspose', config, 'strides', 2, [1, 1]) as Pair;
    const dilations = integers('conv2dTranspose', config, 'dilations', 2, [1, 1]) as Pair;
    const [effH, effW] = effective([kh, kw], dilations);
    const { crop, extra } = transposeFraming(
      padSpec('conv2dTranspose', config, 'pad', 2),
      integers('conv2dTranspose', config, 'outputPadding', 2, [0, 0], 0),
      [effH, effW],
      strides,
    );
    // y = the full transposed conv (each input pixel stamps the filter at stride s), cropped, then
    // extended: a forward stride-1 conv of the zero-dilated input with the flipped, in/out-swapped
    // filter. Built from Conv2D, so its gradients are core's (fast on wasm, second order anywhere).
    const framed = padOrCrop(dilateSpatial(x as tf.Tensor4D, strides), [
      effH - 1 - crop[0],
      effH - 1 - crop[1] + extra[0],
      effW - 1 - crop[2],
      effW - 1 - crop[3] + extra[1],
    ]);
    if (framed.shape[1] < effH || framed.shape[2] < effW) {
      throw new Error(`conv2dTranspose crop [${crop}] leaves no output for input shape [${x.shape}]`);
    }
    const perGroupIn = cin / groups;
    const flipped = tf.reshape(
      tf.transpose(
        tf.reshape(tf.reverse(weight, [0, 1]), [kh, kw, perGroupOut, groups, perGroupIn]),
        [0, 1, 4, 3, 2],
      ),
      [kh, kw, perGroupIn, groups * perGroupOut],
    ) as tf.Tensor4D;
    const y = convolve('conv2dTranspose', framed, flipped, {
      strides: [1, 1],
      dilations,
      pads: [0, 0, 0, 0],
      groups,
    });
    return addBias(y, params.bias);
  },
};

type PoolKind = 'maxpool2d' | 'avgpool2d' | 'maxpool1d' | 'avgpool1d';

/**
 * Max or average pooling over NHWC images (…2d: `size [kh, kw]`, `strides`, `pad` [top, bottom, left,
 * right]) or NLC sequences (…1d: `size`, `stride`, `pad` [left, right], run as a height-1 image).
 */
function pool(kind: PoolKind): KindDefinition {
  const oneD = kind.endsWith('1d');
  const max = kind.startsWith('max');
  const keys = [
    ...(oneD ? ['size', 'stride'] : ['size', 'strides']),
    'pad',
    ...(max ? [] : ['countIncludePad']),
  ];
  const read = (config: Config) => {
    if (oneD) {
      const size = integer(kind, config, 'size', Number.NaN);
      const pad = padSpec(kind, config, 'pad', 1);
      return {
        size: [1, size] as Pair,
        strides: [1, integer(kind, config, 'stride', size)] as Pair,
        pad: typeof pad === 'string' ? pad : [0, 0, ...pad],
        sides: typeof pad === 'string' ? [] : pad.map(() => size),
      };
    }
    const size = integers(kind, config, 'size', 2) as Pair;
    const pad = padSpec(kind, config, 'pad', 2);
    return {
      size,
      strides: integers(kind, config, 'strides', 2, size) as Pair,
      pad,
      sides: typeof pad === 'string' ? [] : [size[0], size[0], size[1], size[1]],
    };
  };
  return {
    kind,
    category: 'pool',
    behaviour: max ? { map: 'max', lrp: 'maxpool' } : { map: 'affine', lrp: 'average' },
    arity: 1,
    paramNames: [],
    fromJson: pickJson(...keys),
    validate(_params, config) {
      const { pad, sides } = read(config);
      const explicitPad = oneD ? (config.pad as number[] | undefined) : pad;
      if (Array.isArray(explicitPad) && explicitPad.some((p, i) => p >= sides[i]!)) {
        throw new Error(`${kind} config 'pad' [${explicitPad}] must be smaller than the window on each side`);
      }
      if (!max) flag(kind, config, 'countIncludePad', true);
    },
    forward([x], _params, config) {
      expectInput(kind, x, oneD ? 3 : 4, oneD ? 'NLC' : 'NHWC');
      const { size, strides, pad } = read(config);
      const image = (oneD ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
      const [, h, w] = image.shape;
      const pads = resolvePads(pad, [h, w], size, strides);
      let y: tf.Tensor4D;
      if (max) {
        // −∞ padding never wins a max; the gradient goes to each window's first maximum (pooling.ts).
        y = maxPoolFirstMaximum(padSpatial(image, [...pads], -Infinity), size, strides);
      } else {
        y = avgPoolDifferentiable(padSpatial(image, [...pads], 0), size, strides);
        // Default: padding counts in the divisor with explicit pads (torch's default, and this kind's
        // before 'same' existed) and does not with 'same' (TensorFlow, Keras).
        const includePad = flag(kind, config, 'countIncludePad', pad !== 'same');
        if (!includePad && pads.some((p) => p > 0)) {
          y = tf.mul(y, windowAreaOverCount(h, w, size, strides, pads, y.shape));
        }
      }
      return oneD ? tf.squeeze(y, [1]) : y;
    },
  };
}

/** kh·kw / (number of real input pixels) for every output window: rescales a padded average. */
function windowAreaOverCount(
  h: number,
  w: number,
  size: Pair,
  strides: Pair,
  pads: Pads4,
  [, ho, wo]: readonly number[],
): tf.Tensor {
  const inside = (start: number, extent: number, length: number) =>
    Math.min(start + extent, length) - Math.max(start, 0);
  const factors = new Float32Array(ho * wo);
  for (let i = 0; i < ho; i++) {
    const rows = inside(i * strides[0] - pads[0], size[0], h);
    for (let j = 0; j < wo; j++) {
      factors[i * wo + j] = (size[0] * size[1]) / (rows * inside(j * strides[1] - pads[2], size[1], w));
    }
  }
  return tf.tensor(factors, [1, ho, wo, 1]);
}

/** The mean or max over all positions of an NHWC image or an NLC sequence. */
function globalPool(kind: 'globalAvgPool' | 'globalMaxPool'): KindDefinition {
  return {
    kind,
    category: 'pool',
    behaviour: kind === 'globalMaxPool' ? { map: 'max', lrp: 'maxpool' } : { map: 'affine', lrp: 'average' },
    arity: 1,
    paramNames: [],
    fromJson: pickJson('keepDims'),
    validate: (_params, config) => void flag(kind, config, 'keepDims', false),
    forward([x], _params, config) {
      if (x.rank !== 3 && x.rank !== 4) {
        throw new Error(`${kind} expects an NHWC or NLC input (rank 4 or 3), but got shape [${x.shape}]`);
      }
      const keepDims = flag(kind, config, 'keepDims', false);
      const positions = x.rank === 4 ? [1, 2] : [1];
      if (kind === 'globalAvgPool') return tf.mean(x, positions, keepDims);
      // One window over the whole map: the gradient goes to the first maximum, as in maxpool2d.
      const image = (x.rank === 4 ? x : tf.expandDims(x, 1)) as tf.Tensor4D;
      const [n, h, w, c] = image.shape;
      const pooled = maxPoolFirstMaximum(image, [h, w]);
      return tf.reshape(pooled, keepDims ? [n, ...positions.map(() => 1), c] : [n, c]);
    },
  };
}

type ResizeMethod = 'nearest' | 'bilinear';

/**
 * The [out, in] matrix of tfjs's 1-D resize rule (tfjs-backend-cpu ResizeNearestNeighbor /
 * ResizeBilinear, float64 here), so a resize is two matmuls with constants: exact for any batch, with
 * gradients (and second-order ones) from matmul. tfjs-backend-cpu's own ResizeNearestNeighbor gradient
 * is wrong for batch > 1.
 */
function resizeMatrix(
  inSize: number,
  outSize: number,
  method: ResizeMethod,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Float32Array {
  const matrix = new Float64Array(outSize * inSize);
  const corners = alignCorners && outSize > 1;
  const ratio = (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
  for (let r = 0; r < outSize; r++) {
    if (method === 'nearest') {
      const source = halfPixelCenters ? ratio * (r + 0.5) : ratio * r;
      let nearest = Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source));
      if (halfPixelCenters) nearest = Math.max(0, nearest);
      matrix[r * inSize + nearest] = 1;
    } else {
      const source = halfPixelCenters ? ratio * (r + 0.5) - 0.5 : ratio * r;
      const low = Math.max(0, Math.floor(source));
      const high = Math.min(inSize - 1, Math.ceil(source));
      const frac = source - low;
      matrix[r * inSize + low] += 1 - frac;
      matrix[r * inSize + high] += frac;
    }
  }
  return Float32Array.from(matrix);
}

const upsample2d: KindDefinition = {
  kind: 'upsample2d',
  category: 'shape',
  // Each output is a convex combination of inputs: the plain gradient keeps relevance.
  behaviour: { map: 'affine', lrp: 'gradient' },
  arity: 1,
  paramNames: [],
  fromJson: pickJson('method', 'scale', 'size', 'alignCorners', 'halfPixelCenters'),
  validate(_params, config) {
    upsampleOptions(config);
  },
  forward([x], _params, config) {
    expectInput('upsample2d', x, 4, 'NHWC');
    const { method, scale, size, alignCorners, halfPixelCenters } = upsampleOptions(config);
    const [n, h, w, c] = x.shape;
    const [ho, wo] = size ?? [Math.floor(h * scale![0]), Math.floor(w * scale![1])];
    if (ho < 1 || wo < 1)
      throw new Error(`upsample2d scale [${scale}] gives an empty output for input [${x.shape}]`);
    const rows = tf.tensor(resizeMatrix(h, ho, method, alignCorners, halfPixelCenters), [1, ho, h]);
    const cols = tf.tensor(resizeMatrix(w, wo, method, alignCorners, halfPixelCenters), [1, wo, w]);
    // [N, H, W·C] → rows → [N·Ho, W, C] → columns → [N, Ho, Wo, C]; batch-broadcast matmuls.
    const alongH = tf.matMul(rows, tf.reshape(x, [n, h, w * c]) as tf.Tensor3D);
    const alongW = tf.matMul(cols, tf.reshape(alongH, [n * ho, w, c]) as tf.Tensor3D);
    return tf.reshape(alongW, [n, ho, wo, c]);
  },
};

function upsampleOptions(config: Config) {
  const method = config.method ?? 'nearest';
  if (method !== 'nearest' && method !== 'bilinear') {
    throw new Error(
      `upsample2d config 'method' must be 'nearest' or 'bilinear', but got ${describe(method)}`,
    );
  }
  const hasScale = config.scale !== undefined;
  if (hasScale === (config.size !== undefined)) {
    throw new Error(
      `upsample2d config needs exactly one of 'scale' [sh, sw] and 'size' [height, width], but got scale ${describe(config.scale)} and size ${describe(config.size)}`,
    );
  }
  const scale = config.scale as number[] | undefined;
  if (
    hasScale &&
    (!Array.isArray(scale) ||
      scale.length !== 2 ||
      !scale.every((s) => typeof s === 'number' && s > 0 && Number.isFinite(s)))
  ) {
    throw new Error(`upsample2d config 'scale' must be 2 positive numbers, but got ${describe(scale)}`);
  }
  const size = hasScale ? undefined : (integers('upsample2d', config, 'size', 2) as Pair);
  const alignCorners = flag('upsample2d', config, 'alignCorners', false);
  const halfPixelCenters = flag('upsample2d', config, 'halfPixelCenters', false);
  if (alignCorners && halfPixelCenters) {
    throw new Error(
      `upsample2d config 'alignCorners' and 'halfPixelCenters' cannot both be true (tfjs refuses it too)`,
    );
  }
  return { method: method as ResizeMethod, scale, size, alignCorners, halfPixelCenters };
}

const pad: KindDefinition = {
  kind: 'pad',
  category: 'shape',
  behaviour: { map: 'affine', lrp: 'gradient' },
  arity: 1,
  paramNames: [],
  fromJson: pickJson('pads', 'value'),
  validate(_params, config) {
    const pads = config.pads;
    if (
      !Array.isArray(pads) ||
      (pads.length !== 4 && pads.length !== 2) ||
      !pads.every((p) => Number.isInteger(p))
    ) {
      throw new Error(
        `pad config 'pads' must be [top, bottom, left, right] (NHWC) or [left, right] (NLC) integers (negative crops), but got ${describe(pads)}`,
      );
    }
    const value = config.value ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`pad config 'value' must be a finite number, but got ${describe(value)}`);
    }
  },
  forward([x], _params, config) {
    const pads = config.pads as number[];
    const value = (config.value as number | undefined) ?? 0;
    const rank = pads.length === 4 ? 4 : 3;
    expectInput('pad', x, rank, rank === 4 ? 'NHWC' : 'NLC');
    const image = (rank === 4 ? x : tf.expandDims(x, 1)) as tf.Tensor4D;
    const padded = padOrCrop(image, rank === 4 ? pads : [0, 0, ...pads], value);
    return rank === 4 ? padded : tf.squeeze(padded, [1]);
  },
};

/** The convolution, pooling, resampling and padding kinds (all NHWC). */
export const spatialKindDefinitions: readonly KindDefinition[] = [
  conv2d,
  depthwiseConv2d,
  conv1d,
  conv2dTranspose,
  pool('maxpool2d'),
  pool('avgpool2d'),
  pool('maxpool1d'),
  pool('avgpool1d'),
  globalPool('globalAvgPool'),
  globalPool('globalMaxPool'),
  upsample2d,
  pad,
];
