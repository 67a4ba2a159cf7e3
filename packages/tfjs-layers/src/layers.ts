import * as tf from '@tensorflow/tfjs-core';
import { activationWriters, isKnownActivation } from './activations.js';
import { malformed, scalarParam, tuple, unsupported, type Emitter, type LayerCall } from './emit.js';

/**
 * How one Keras layer class becomes graph nodes. `write` emits the nodes of one call and returns the node
 * that holds its output; `refuse` says why a config cannot be imported (checked for every layer before
 * anything is built, so all problems are listed at once).
 */
export interface LayerMapping {
  write(emit: Emitter, call: LayerCall): string;
  refuse?(config: Readonly<Record<string, unknown>>): string | null;
  /** The layer applies `config.activation` after itself: a second node `<name>/activation`. */
  fusedActivation?: boolean;
}

const fn = 'importLayersModel';

function required(call: LayerCall, key: string): tf.Tensor {
  const w = call.weight(key);
  if (!w) throw malformed(fn, `layer '${call.name}' (${call.className}) has no weight '${key}'`);
  return w;
}

const channelsLastOnly = (config: Readonly<Record<string, unknown>>): string | null =>
  config.data_format === undefined || config.data_format === null || config.data_format === 'channels_last'
    ? null
    : `data_format '${String(config.data_format)}' (only channels_last, the tfjs default, is supported)`;

function refuseActivation(config: Readonly<Record<string, unknown>>): string | null {
  const act = config.activation;
  if (act === undefined || act === null || isKnownActivation(act)) return channelsLastOnly(config);
  return `activation ${JSON.stringify(act)} is not one tfjs-layers knows (${Object.keys(activationWriters).join(', ')})`;
}

function padding(call: LayerCall): 'same' | 'valid' {
  const p = call.config.padding ?? 'valid';
  if (p !== 'same' && p !== 'valid')
    throw malformed(fn, `layer '${call.name}': padding ${JSON.stringify(p)}`);
  return p;
}

function pool2d(kind: 'maxpool2d' | 'avgpool2d'): LayerMapping {
  return {
    refuse: channelsLastOnly,
    write: (emit, call) => {
      const size = tuple(call.config.pool_size ?? 2, 2, 'pool_size', call.name);
      const strides =
        call.config.strides == null ? size : tuple(call.config.strides, 2, 'strides', call.name);
      return emit.add(call.name, kind, call.inputs, {}, { size, strides, pad: padding(call) });
    },
  };
}

/** 1-D pooling as the 2-D pool over [N, L, 1, C] (core has no 1-D pool kind). */
function pool1d(kind: 'maxpool2d' | 'avgpool2d'): LayerMapping {
  return {
    refuse: channelsLastOnly,
    write: (emit, call) => {
      const [size] = tuple(call.config.pool_size ?? 2, 1, 'pool_size', call.name);
      const [stride] =
        call.config.strides == null ? [size] : tuple(call.config.strides, 1, 'strides', call.name);
      const expanded = emit.add(`${call.name}/expand`, 'unsqueeze', call.inputs, {}, { axes: [2] });
      const pooled = emit.add(
        `${call.name}/pool`,
        kind,
        [expanded],
        {},
        {
          size: [size, 1],
          strides: [stride, 1],
          pad: padding(call),
        },
      );
      return emit.add(call.name, 'squeeze', [pooled], {}, { axes: [2] });
    },
  };
}

/** Merge layers with more than two inputs chain the binary kind: `<name>/1`, `<name>/2`, …, `<name>`. */
function chained(
  emit: Emitter,
  call: LayerCall,
  step: (name: string, left: string, right: string) => string,
): string {
  let acc = call.inputs[0];
  for (let i = 1; i < call.inputs.length; i++) {
    acc = step(i === call.inputs.length - 1 ? call.name : `${call.name}/${i}`, acc, call.inputs[i]);
  }
  return acc;
}

function identityLayer(kind: 'dropout' | 'identity'): LayerMapping {
  return {
    write: (emit, call) =>
      emit.add(call.name, kind, call.inputs, {}, kind === 'dropout' ? { rate: call.config.rate ?? 0 } : {}),
  };
}

function convConfig2d(call: LayerCall) {
  return {
    strides: tuple(call.config.strides ?? 1, 2, 'strides', call.name),
    pad: padding(call),
    dilations: tuple(call.config.dilation_rate ?? 1, 2, 'dilation_rate', call.name),
  };
}

/** Bias only where the layer uses one (`use_bias`, default true). */
const bias = (call: LayerCall) => (call.config.use_bias === false ? null : call.weight('bias'));

const convolution = { refuse: refuseActivation, fusedActivation: true } as const;

export const layerMappings: Readonly<Record<string, LayerMapping>> = {
  Dense: {
    ...convolution,
    write: (emit, call) =>
      emit.add(call.name, 'linear', call.inputs, { weight: required(call, 'kernel'), bias: bias(call) }),
  },
  Conv1D: {
    ...convolution,
    // tfjs-layers cannot run 'causal' Conv1D ("not implemented yet"): refused like a missing class.
    refuse: (config) =>
      config.padding === 'causal'
        ? "padding 'causal' (tfjs-layers cannot run it either)"
        : refuseActivation(config),
    write: (emit, call) => {
      const [dilation] = tuple(call.config.dilation_rate ?? 1, 1, 'dilation_rate', call.name);
      const [stride] = tuple(call.config.strides ?? 1, 1, 'strides', call.name);
      return emit.add(
        call.name,
        'conv1d',
        call.inputs,
        { weight: required(call, 'kernel'), bias: bias(call) },
        { stride, pad: padding(call), dilation },
      );
    },
  },
  Conv2D: {
    ...convolution,
    write: (emit, call) =>
      emit.add(
        call.name,
        'conv2d',
        call.inputs,
        { weight: required(call, 'kernel'), bias: bias(call) },
        convConfig2d(call),
      ),
  },
  DepthwiseConv2D: {
    ...convolution,
    write: (emit, call) =>
      emit.add(
        call.name,
        'depthwiseConv2d',
        call.inputs,
        { weight: required(call, 'depthwise_kernel'), bias: bias(call) },
        convConfig2d(call),
      ),
  },
  // The depthwise step is `<name>/depthwise`; the pointwise 1×1 conv (with the bias) is `<name>`.
  SeparableConv2D: {
    ...convolution,
    write: (emit, call) => {
      const depthwise = emit.add(
        `${call.name}/depthwise`,
        'depthwiseConv2d',
        call.inputs,
        { weight: required(call, 'depthwise_kernel'), bias: null },
        convConfig2d(call),
      );
      return emit.add(call.name, 'conv2d', [depthwise], {
        weight: required(call, 'pointwise_kernel'),
        bias: bias(call),
      });
    },
  },
  Conv2DTranspose: {
    ...convolution,
    write: (emit, call) =>
      emit.add(
        call.name,
        'conv2dTranspose',
        call.inputs,
        { weight: required(call, 'kernel'), bias: bias(call) },
        convConfig2d(call),
      ),
  },
  BatchNormalization: {
    write: (emit, call) => {
      const rank = call.inputShapes[0].length;
      const axis = (call.config.axis as number | undefined) ?? -1;
      if (axis !== -1 && axis !== rank - 1)
        throw unsupported(
          fn,
          call.name,
          `BatchNormalization axis ${axis} (only the last axis, channels_last)`,
        );
      const mean = required(call, 'moving_mean');
      const ones = () => tf.onesLike(mean);
      const zeros = () => tf.zerosLike(mean);
      return emit.add(
        call.name,
        'batchnorm',
        call.inputs,
        {
          mean,
          variance: required(call, 'moving_variance'),
          gamma: call.config.scale === false ? ones() : required(call, 'gamma'),
          beta: call.config.center === false ? zeros() : required(call, 'beta'),
        },
        { epsilon: call.config.epsilon ?? 1e-3 },
      );
    },
  },
  LayerNormalization: {
    write: (emit, call) => {
      const axis = call.config.axis ?? -1;
      return emit.add(
        call.name,
        'layerNorm',
        call.inputs,
        {
          gamma: call.config.scale === false ? null : required(call, 'gamma'),
          beta: call.config.center === false ? null : required(call, 'beta'),
        },
        { axes: Array.isArray(axis) ? axis : [axis], epsilon: call.config.epsilon ?? 1e-3 },
      );
    },
  },
  Activation: {
    refuse: (config) =>
      isKnownActivation(config.activation)
        ? null
        : `activation ${JSON.stringify(config.activation)} is not one tfjs-layers knows`,
    write: (emit, call) =>
      activationWriters[call.config.activation as string](emit, call.name, call.inputs[0]),
  },
  // Keras ReLU(max_value, negative_slope, threshold). tfjs-layers reads max_value only and would silently
  // drop the other two, so a model.json that sets them is refused rather than imported as something else.
  ReLU: {
    refuse: (config) => {
      const ignored = ['negative_slope', 'threshold'].filter(
        (key) => ![undefined, null, 0].includes(config[key] as number),
      );
      return ignored.length === 0
        ? null
        : `ReLU ${ignored.map((key) => `${key} ${String(config[key])}`).join(', ')} (tfjs-layers ignores ${ignored.length > 1 ? 'them' : 'it'}: predict would differ from Keras)`;
    },
    write: (emit, call) => {
      const max = (call.config.max_value as number | null | undefined) ?? null;
      if (max === null) return emit.add(call.name, 'relu', call.inputs);
      if (max === 6) return emit.add(call.name, 'relu6', call.inputs);
      return emit.add(call.name, 'clip', call.inputs, {}, { min: 0, max });
    },
  },
  LeakyReLU: {
    write: (emit, call) =>
      emit.add(call.name, 'leakyRelu', call.inputs, {}, { alpha: call.config.alpha ?? 0.3 }),
  },
  PReLU: {
    write: (emit, call) => emit.add(call.name, 'prelu', call.inputs, { alpha: required(call, 'alpha') }),
  },
  // tfjs-layers' ELU throws for alpha ≠ 1 itself; such a model.json is refused up front.
  ELU: {
    refuse: (config) =>
      [undefined, null, 1].includes(config.alpha as number)
        ? null
        : `ELU alpha ${String(config.alpha)} (tfjs-layers runs alpha 1 only)`,
    write: (emit, call) => emit.add(call.name, 'elu', call.inputs),
  },
  Softmax: {
    write: (emit, call) => emit.add(call.name, 'softmax', call.inputs, {}, { axis: call.config.axis ?? -1 }),
  },
  MaxPooling2D: pool2d('maxpool2d'),
  AveragePooling2D: pool2d('avgpool2d'),
  MaxPooling1D: pool1d('maxpool2d'),
  AveragePooling1D: pool1d('avgpool2d'),
  GlobalAveragePooling2D: {
    refuse: channelsLastOnly,
    write: (emit, call) => emit.add(call.name, 'globalAvgPool', call.inputs),
  },
  GlobalMaxPooling2D: {
    refuse: channelsLastOnly,
    write: (emit, call) => emit.add(call.name, 'globalMaxPool', call.inputs),
  },
  GlobalAveragePooling1D: {
    refuse: channelsLastOnly,
    write: (emit, call) => emit.add(call.name, 'reduceMean', call.inputs, {}, { axes: [1] }),
  },
  GlobalMaxPooling1D: {
    refuse: channelsLastOnly,
    write: (emit, call) => {
      const expanded = emit.add(`${call.name}/expand`, 'unsqueeze', call.inputs, {}, { axes: [2] });
      return emit.add(call.name, 'globalMaxPool', [expanded]);
    },
  },
  Flatten: { write: (emit, call) => emit.add(call.name, 'flatten', call.inputs) },
  Reshape: {
    write: (emit, call) =>
      emit.add(call.name, 'reshape', call.inputs, {}, { shape: call.config.target_shape }),
  },
  // Keras dims are 1-based and leave the batch axis out.
  Permute: {
    write: (emit, call) =>
      emit.add(call.name, 'transpose', call.inputs, {}, { perm: [0, ...(call.config.dims as number[])] }),
  },
  Dropout: identityLayer('dropout'),
  SpatialDropout1D: identityLayer('dropout'),
  AlphaDropout: identityLayer('dropout'),
  GaussianDropout: identityLayer('dropout'),
  GaussianNoise: identityLayer('identity'),
  ZeroPadding2D: {
    refuse: channelsLastOnly,
    write: (emit, call) => {
      const [[top, bottom], [left, right]] = pairs(call, 'padding');
      return emit.add(call.name, 'pad', call.inputs, {}, { pads: [top, bottom, left, right] });
    },
  },
  Cropping2D: {
    refuse: channelsLastOnly,
    write: (emit, call) => {
      const [[top, bottom], [left, right]] = pairs(call, 'cropping');
      const [, height, width] = call.inputShapes[0];
      if (height === null || width === null)
        throw malformed(fn, `layer '${call.name}': Cropping2D needs a static height and width`);
      return emit.add(
        call.name,
        'slice',
        call.inputs,
        {},
        { axes: [1, 2], begin: [top, left], size: [height - top - bottom, width - left - right] },
      );
    },
  },
  UpSampling2D: {
    refuse: channelsLastOnly,
    write: (emit, call) =>
      emit.add(
        call.name,
        'upsample2d',
        call.inputs,
        {},
        {
          method: call.config.interpolation ?? 'nearest',
          scale: tuple(call.config.size ?? 2, 2, 'size', call.name),
        },
      ),
  },
  Add: { write: (emit, call) => emit.add(call.name, 'add', call.inputs) },
  Multiply: {
    write: (emit, call) => chained(emit, call, (name, a, b) => emit.add(name, 'mul', [a, b])),
  },
  // The sum `<name>/sum`, then the mean `<name>`.
  Average: {
    write: (emit, call) => {
      const sum = emit.add(`${call.name}/sum`, 'add', call.inputs);
      return emit.add(call.name, 'scaleShift', [sum], { scale: scalarParam(1 / call.inputs.length) });
    },
  },
  // max(a, b) = a + relu(b − a), min(a, b) = a − relu(a − b): core has no elementwise max kind.
  Maximum: {
    write: (emit, call) =>
      chained(emit, call, (name, a, b) => {
        const diff = emit.add(`${name}/difference`, 'sub', [b, a]);
        const excess = emit.add(`${name}/excess`, 'relu', [diff]);
        return emit.add(name, 'add', [a, excess]);
      }),
  },
  Minimum: {
    write: (emit, call) =>
      chained(emit, call, (name, a, b) => {
        const diff = emit.add(`${name}/difference`, 'sub', [a, b]);
        const excess = emit.add(`${name}/excess`, 'relu', [diff]);
        return emit.add(name, 'sub', [a, excess]);
      }),
  },
  Concatenate: {
    write: (emit, call) => emit.add(call.name, 'concat', call.inputs, {}, { axis: call.config.axis ?? -1 }),
  },
  Embedding: {
    write: (emit, call) =>
      emit.add(call.name, 'embedding', call.inputs, { weight: required(call, 'embeddings') }),
  },
};

/** A Keras ((top, bottom), (left, right)) setting, also given as one int or (vertical, horizontal). */
function pairs(call: LayerCall, key: string): [[number, number], [number, number]] {
  const value = call.config[key] ?? 1;
  if (typeof value === 'number')
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    const [v, h] = value.map((p) => (typeof p === 'number' ? [p, p] : tuple(p, 2, key, call.name)));
    return [v as [number, number], h as [number, number]];
  }
  throw malformed(fn, `layer '${call.name}': '${key}' ${JSON.stringify(value)}`);
}

/** Classes that hold other layers: inlined, their nodes named `<model>/<layer>`. */
export const containerClasses: ReadonlySet<string> = new Set(['Sequential', 'Model', 'Functional']);
