import * as tf from '@tensorflow/tfjs-core';
import { BATCH, computed, type Computed, type ImportContext, type NodeView, type Value } from './context.js';
import { axesOf, squeezeShape, unsqueezeShape } from './fold.js';
import {
  channelsLast,
  indexMap,
  invert,
  isPermutationOf,
  isTrivial,
  permute,
  plain,
  sameShape,
  size,
  type Layout,
} from './layout.js';

/** Maps one ONNX node whose inputs include a computed tensor onto Attrib nodes. */
export type OpMapper = (node: NodeView, ctx: ImportContext) => Value;

const known = (tensor: tf.Tensor): Value => ({ type: 'known', tensor });

/** Per-sample axis (0-based, batch excluded) of a full-tensor ONNX axis; the batch axis is refused. */
function sampleAxis(node: NodeView, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank + 1 : axis;
  if (a <= 0 || a > rank) throw node.unsupported(`axis ${axis} is the batch axis or out of range`);
  return a - 1;
}

/** The Attrib full-tensor axis that holds ONNX per-sample axis `a` of a permutation layout. */
const attribAxis = (layout: Layout, a: number) => invert(layout.perm)[a] + 1;

function withShape(layout: Layout, shape: readonly number[]): Layout {
  return { source: shape, perm: layout.perm, attrib: permute(shape, layout.perm) };
}

// ---- elementwise -------------------------------------------------------------------------------

function unary(kind: string, config: (node: NodeView) => Record<string, unknown> = () => ({})): OpMapper {
  return (node, ctx) => {
    const x = node.computed(0);
    return computed(ctx.emit(node.name, kind, [x.node], config(node)), x.shape, x.layout);
  };
}

const alias: OpMapper = (node) => node.computed(0);

function scalarInput(node: NodeView, index: number): number | undefined {
  const value = node.optionalKnown(index);
  return value ? value.dataSync()[0] : undefined;
}

const clip: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const min = node.opset < 11 ? node.float('min', -Infinity) : (scalarInput(node, 1) ?? -Infinity);
  const max = node.opset < 11 ? node.float('max', Infinity) : (scalarInput(node, 2) ?? Infinity);
  // torch exports ReLU6 and ReLU as Clip; give them their own kinds so rules treat them as such.
  const [kind, config] =
    min === 0 && max === 6
      ? ['relu6', {}]
      : min === 0 && max === Infinity
        ? ['relu', {}]
        : ['clip', { ...(min > -Infinity ? { min } : {}), ...(max < Infinity ? { max } : {}) }];
  return computed(ctx.emit(node.name, kind, [x.node], config), x.shape, x.layout);
};

const prelu: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const alpha = ctx.knownInLayout(node.known(1), x.shape, x.layout, node);
  return computed(ctx.emit(node.name, 'prelu', [x.node], {}, { alpha }), x.shape, x.layout);
};

function broadcastShape(node: NodeView, a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw node.unsupported(`operands of rank ${a.length + 1} and ${b.length + 1}`);
  return a.map((d, i) => {
    if (d !== b[i] && d !== 1 && b[i] !== 1)
      throw node.unsupported(`shapes [N,${a}] and [N,${b}] do not broadcast`);
    return Math.max(d, b[i]);
  });
}

/**
 * Add, Sub, Mul, Div. Two computed operands: the `add`, `sub`, `mul`, `div` kinds, the second brought
 * into the first's layout. A constant operand is folded into a `scaleShift` node's parameters
 * (x+c, x−c, c−x, x·c, x/c), so it stays a parameter (zeroParams, canonizers) rather than a tensor input.
 */
function arithmetic(op: 'Add' | 'Sub' | 'Mul' | 'Div'): OpMapper {
  const kinds = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' };
  return (node, ctx) => {
    const [a, b] = node.inputs as Value[];
    if (ctx.foldedAdds.has(node.proto)) return a.type === 'computed' ? a : b;
    if (a.type === 'computed' && b.type === 'computed') {
      if (sameShape(a.shape, b.shape)) {
        const second = ctx.inLayout(b, a.layout);
        return computed(ctx.emit(node.name, kinds[op], [a.node, second]), a.shape, a.layout);
      }
      const pa = ctx.asPermutation(a);
      const shape = broadcastShape(node, a.shape, b.shape);
      const pb = ctx.inLayout(b, withShape(pa.layout, b.shape));
      return computed(ctx.emit(node.name, kinds[op], [pa.node, pb]), shape, withShape(pa.layout, shape));
    }
    const x = (a.type === 'computed' ? a : b) as Computed;
    const c = (a.type === 'known' ? a : b) as { tensor: tf.Tensor };
    const constFirst = a.type === 'known';
    const value = ctx.knownInLayout(c.tensor, x.shape, x.layout, node);
    const params = (scale: tf.Tensor | null, shift: tf.Tensor | null) => ({ scale, shift });
    let p: { scale: tf.Tensor | null; shift: tf.Tensor | null };
    if (op === 'Add') p = params(null, value);
    else if (op === 'Mul') p = params(value, null);
    else if (op === 'Sub' && !constFirst) {
      p = params(null, tf.neg(value));
      value.dispose();
    } else if (op === 'Sub') p = params(tf.scalar(-1), value);
    else if (!constFirst) {
      p = params(tf.div(1, value), null);
      value.dispose();
    } else {
      // c / x: the constant becomes its own node (a per-sample tensor broadcast over the batch).
      const constant = ctx.emit(`${node.name}/constant`, 'constant', [], {}, { value });
      return computed(ctx.emit(node.name, 'div', [constant, x.node]), x.shape, x.layout);
    }
    return computed(ctx.emit(node.name, 'scaleShift', [x.node], {}, p), x.shape, x.layout);
  };
}

// ---- linear maps ----------------------------------------------------------------------------------

/** `x` as a rank-2 Attrib tensor [N, K], flattened in its own order (a `flatten` node if needed). */
function asFeatures(node: NodeView, ctx: ImportContext, x: Computed): Computed {
  if (x.layout.attrib.length === 1) return x;
  const layout = { ...x.layout, attrib: [size(x.shape)] };
  return computed(ctx.emit(`${node.name}/flatten`, 'flatten', [x.node]), x.shape, layout);
}

/**
 * A linear node `y = x·W + b` from an ONNX weight [K, M] (already transposed as needed): the rows are
 * permuted into the Attrib order of x's features (e.g. NHWC order after a flatten of a conv map).
 */
function linearNode(
  node: NodeView,
  ctx: ImportContext,
  x: Computed,
  weight: tf.Tensor,
  bias: tf.Tensor | null,
): Value {
  const rows = indexMap(x.layout);
  const permuted = isTrivial(x.layout)
    ? weight
    : tf.tidy(() => tf.gather(weight, tf.tensor1d(rows, 'int32'), 0));
  if (permuted !== weight) weight.dispose();
  const m = permuted.shape[1] as number;
  return computed(ctx.emit(node.name, 'linear', [x.node], {}, { weight: permuted, bias }), [m], plain([m]));
}

const gemm: OpMapper = (node, ctx) => {
  if (node.int('transA', 0) !== 0) throw node.unsupported('transA = 1 on a computed input');
  const x = asFeatures(node, ctx, node.computed(0));
  const alpha = node.float('alpha', 1);
  const beta = node.float('beta', 1);
  const b = node.known(1);
  const m = b.shape[node.int('transB', 0) === 1 ? 0 : 1] as number;
  const c = node.optionalKnown(2);
  // Checked before any tensor is made, so a refusal leaves nothing allocated.
  if (c && c.size !== 1 && c.size !== m)
    throw node.unsupported(`bias of shape [${c.shape}] is not per output`);
  const weight = tf.tidy(() => {
    const cast = tf.cast(b, 'float32');
    const w = node.int('transB', 0) === 1 ? tf.transpose(cast) : cast;
    return alpha === 1 ? tf.clone(w) : tf.mul(w, alpha);
  });
  const bias = c
    ? tf.tidy(() => tf.mul(tf.broadcastTo(tf.reshape(tf.cast(c, 'float32'), [-1]), [m]), beta))
    : null;
  return linearNode(node, ctx, x, weight, bias);
};

/**
 * torch exports a Linear on a tensor of rank > 2 as MatMul then Add(bias): when the MatMul's only reader
 * adds a constant of its output width, that constant becomes the linear node's bias (one node, named
 * after the module) and the Add passes the result on.
 */
function biasAfter(node: NodeView, ctx: ImportContext, width: number): tf.Tensor | null {
  const readers = ctx.consumers.get(node.proto.output![0]) ?? [];
  if (readers.length !== 1 || readers[0].opType !== 'Add') return null;
  const add = readers[0];
  const other = add.input!.find((name) => name !== node.proto.output![0]);
  const value = other === undefined ? undefined : ctx.values.get(other);
  if (
    value?.type !== 'known' ||
    value.tensor.size !== width ||
    value.tensor.shape[value.tensor.rank - 1] !== width
  )
    return null;
  ctx.foldedAdds.add(add);
  return tf.reshape(tf.cast(value.tensor, 'float32'), [width]);
}

const matMul: OpMapper = (node, ctx) => {
  const [a, b] = node.inputs as Value[];
  if (a.type === 'computed' && b.type === 'known') {
    if (b.tensor.rank !== 2) throw node.unsupported(`a constant right operand of rank ${b.tensor.rank}`);
    if (a.shape.length === 1)
      return linearNode(node, ctx, asFeatures(node, ctx, a), tf.cast(b.tensor, 'float32'), null);
    // Over the last axis of a higher-rank tensor: the Attrib tensor must be in ONNX order.
    const input = ctx.inLayout(a, plain(a.shape));
    const out = [...a.shape.slice(0, -1), b.tensor.shape[1] as number];
    const weight = tf.cast(b.tensor, 'float32');
    const bias = biasAfter(node, ctx, out[out.length - 1]);
    return computed(ctx.emit(node.name, 'linear', [input], {}, { weight, bias }), out, plain(out));
  }
  if (a.type === 'computed' && b.type === 'computed') {
    const shape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]];
    const inputs = [ctx.inLayout(a, plain(a.shape)), ctx.inLayout(b, plain(b.shape))];
    return computed(ctx.emit(node.name, 'matmul', inputs), shape, plain(shape));
  }
  throw node.unsupported('a constant left operand with a computed right operand');
};

// ---- convolution and pooling ------------------------------------------------------------------

/** Explicit pads [begin…, end…] per spatial axis, from `pads` or `auto_pad` (SAME_UPPER/LOWER, VALID). */
function spatialPads(
  node: NodeView,
  spatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): number[] {
  const autoPad = node.string('auto_pad', 'NOTSET');
  const n = spatial.length;
  if (autoPad === 'VALID') return new Array<number>(2 * n).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    spatial.forEach((dim, i) => {
      const out = Math.ceil(dim / strides[i]);
      const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - dim, 0);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(autoPad === 'SAME_UPPER' ? total - small : small);
    });
    return [...begin, ...end];
  }
  return node.ints('pads') ?? new Array<number>(2 * n).fill(0);
}

const outputSize = (dim: number, k: number, s: number, d: number, total: number) =>
  Math.floor((dim + total - d * (k - 1) - 1) / s) + 1;

/** ONNX [x1_begin, x2_begin, x1_end, x2_end] → Attrib [top, bottom, left, right]. */
const attribPads2d = (pads: readonly number[]) => [pads[0], pads[2], pads[1], pads[3]];

const conv: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const weight = node.known(1);
  const spatial = x.shape.slice(1);
  const n = spatial.length;
  if (n !== 1 && n !== 2) throw node.unsupported(`${n}-D convolution (1-D and 2-D are supported)`);
  const kernel = weight.shape.slice(2);
  const strides = node.ints('strides') ?? new Array<number>(n).fill(1);
  const dilations = node.ints('dilations') ?? new Array<number>(n).fill(1);
  const pads = spatialPads(node, spatial, kernel, strides, dilations);
  const folded = ctx.foldedPads.get(node.proto.input![0]);
  if (folded) folded.forEach((p, i) => (pads[i] += p));
  const groups = node.int('group', 1);
  const cin = x.shape[0];
  const cout = weight.shape[0];
  const input = ctx.inLayout(x, channelsLast(x.shape));
  const bias = node.optionalKnown(2) ? tf.cast(node.known(2), 'float32') : null;
  const outSpatial = spatial.map((dim, i) =>
    outputSize(dim, kernel[i], strides[i], dilations[i], pads[i] + pads[i + n]),
  );
  const out = [cout, ...outSpatial];
  let name: string;
  if (n === 1) {
    const w = tf.tidy(() => tf.transpose(tf.cast(weight, 'float32'), [2, 1, 0]));
    const config = { stride: strides[0], dilation: dilations[0], pad: [pads[0], pads[1]], groups };
    name = ctx.emit(node.name, 'conv1d', [input], config, { weight: w, bias });
  } else if (groups > 1 && groups === cin && weight.shape[1] === 1) {
    // Depthwise: ONNX output channel g·m + j is TF's c·multiplier + j, so the weights only reshape.
    const multiplier = cout / cin;
    const w = tf.tidy(() =>
      tf.transpose(
        tf.reshape(tf.cast(weight, 'float32'), [cin, multiplier, kernel[0], kernel[1]]),
        [2, 3, 0, 1],
      ),
    );
    const config = { strides, dilations, pad: attribPads2d(pads) };
    name = ctx.emit(node.name, 'depthwiseConv2d', [input], config, { weight: w, bias });
  } else {
    const w = tf.tidy(() => tf.transpose(tf.cast(weight, 'float32'), [2, 3, 1, 0]));
    const config = { strides, dilations, pad: attribPads2d(pads), ...(groups > 1 ? { groups } : {}) };
    name = ctx.emit(node.name, 'conv2d', [input], config, { weight: w, bias });
  }
  return computed(name, out, channelsLast(out));
};

const convTranspose: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const weight = node.known(1);
  if (x.shape.length !== 3) throw node.unsupported('only 2-D transposed convolutions are supported');
  if (node.has('output_shape')) throw node.unsupported("the 'output_shape' attribute (give pads instead)");
  const groups = node.int('group', 1);
  const kernel = weight.shape.slice(2);
  const strides = node.ints('strides') ?? [1, 1];
  const dilations = node.ints('dilations') ?? [1, 1];
  const outputPadding = node.ints('output_padding') ?? [0, 0];
  const autoPad = node.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw node.unsupported(`auto_pad ${autoPad}`);
  const pads = node.ints('pads') ?? [0, 0, 0, 0];
  const cout = (weight.shape[1] as number) * groups;
  const out = [
    cout,
    ...[0, 1].map(
      (i) =>
        (x.shape[i + 1] - 1) * strides[i] +
        dilations[i] * (kernel[i] - 1) +
        1 -
        pads[i] -
        pads[i + 2] +
        outputPadding[i],
    ),
  ];
  const w = tf.tidy(() => tf.transpose(tf.cast(weight, 'float32'), [2, 3, 1, 0]));
  const bias = node.optionalKnown(2) ? tf.cast(node.known(2), 'float32') : null;
  const config = {
    strides,
    dilations,
    pad: attribPads2d(pads),
    outputPadding,
    ...(groups > 1 ? { groups } : {}),
  };
  const input = ctx.inLayout(x, channelsLast(x.shape));
  return computed(
    ctx.emit(node.name, 'conv2dTranspose', [input], config, { weight: w, bias }),
    out,
    channelsLast(out),
  );
};

function pool(kind: 'maxpool2d' | 'avgpool2d'): OpMapper {
  return (node, ctx) => {
    const x = node.computed(0);
    if (x.shape.length !== 3) throw node.unsupported('only 2-D pooling is supported');
    const kernel = node.ints('kernel_shape')!;
    const strides = node.ints('strides') ?? [1, 1];
    const dilations = node.ints('dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1)) throw node.unsupported('dilated pooling');
    const pads = spatialPads(node, x.shape.slice(1), kernel, strides, dilations);
    const ownPads = pads.some((p) => p !== 0);
    let countIncludePad = kind === 'avgpool2d' && node.int('count_include_pad', 0) === 1;
    const folded = ctx.foldedPads.get(node.proto.input![0]);
    if (folded) {
      folded.forEach((p, i) => (pads[i] += p));
      countIncludePad = true; // the explicit Pad's zeros are values the window averages
    }
    if (node.int('ceil_mode', 0) === 1) {
      if (kind === 'avgpool2d' && (ownPads || folded)) throw node.unsupported('ceil_mode with padding');
      [0, 1].forEach((i) => {
        const dim = x.shape[i + 1] + pads[i] + pads[i + 2];
        let out = Math.ceil((dim - kernel[i]) / strides[i]) + 1;
        // torch and ONNX drop a last window that would start in the end padding.
        if ((out - 1) * strides[i] >= x.shape[i + 1] + pads[i]) out--;
        pads[i + 2] += Math.max(0, (out - 1) * strides[i] + kernel[i] - dim);
      });
    }
    const out = [
      x.shape[0],
      ...[0, 1].map((i) => outputSize(x.shape[i + 1], kernel[i], strides[i], 1, pads[i] + pads[i + 2])),
    ];
    const config: Record<string, unknown> = { size: kernel, strides, pad: attribPads2d(pads) };
    if (kind === 'avgpool2d' && pads.some((p) => p !== 0)) config.countIncludePad = countIncludePad;
    const input = ctx.inLayout(x, channelsLast(x.shape));
    return computed(ctx.emit(node.name, kind, [input], config), out, channelsLast(out));
  };
}

function globalPool(kind: 'globalAvgPool' | 'globalMaxPool'): OpMapper {
  return (node, ctx) => {
    const x = node.computed(0);
    if (x.shape.length !== 3) throw node.unsupported('only 2-D global pooling is supported');
    const input = ctx.inLayout(x, channelsLast(x.shape));
    const out = [x.shape[0], 1, 1];
    // [N, C] in Attrib, standing for ONNX [N, C, 1, 1]: a following Flatten costs nothing.
    const layout = { source: out, perm: channelsLast(out).perm, attrib: [x.shape[0]] };
    return computed(ctx.emit(node.name, kind, [input]), out, layout);
  };
}

/**
 * Pad: all-zero pads vanish; zero padding of the spatial axes read only by a Conv or AveragePool is
 * folded into that node's own padding (torch exports AvgPool2d as Pad + AveragePool); anything else
 * becomes a `pad` node.
 */
const pad: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const mode = node.string('mode', 'constant');
  const pads = node.ints('pads') ?? Array.from(node.known(1).dataSync());
  const value = node.opset < 11 ? node.float('value', 0) : (scalarInput(node, 2) ?? 0);
  if (node.opset >= 18 && node.proto.input?.[3]) throw node.unsupported("the 'axes' input");
  if (pads.every((p) => p === 0)) return x;
  if (mode !== 'constant') throw node.unsupported(`mode '${mode}'`);
  const rank = x.shape.length + 1;
  const begin = pads.slice(0, rank);
  const end = pads.slice(rank);
  if (begin[0] || end[0] || begin[1] || end[1] || rank < 3 || rank > 4)
    throw node.unsupported('padding other than on the spatial axes of a 1-D or 2-D map');
  const spatial = [...begin.slice(2), ...end.slice(2)];
  const readers = ctx.consumers.get(node.proto.output![0]) ?? [];
  const foldable =
    value === 0 &&
    readers.length === 1 &&
    (readers[0].opType === 'Conv' || readers[0].opType === 'AveragePool');
  if (foldable) {
    ctx.foldedPads.set(node.proto.output![0], spatial);
    return x;
  }
  const out = [x.shape[0], ...x.shape.slice(1).map((d, i) => d + begin[i + 2] + end[i + 2])];
  const input = ctx.inLayout(x, channelsLast(x.shape));
  const config = { pads: rank === 4 ? attribPads2d(spatial) : spatial, value };
  return computed(ctx.emit(node.name, 'pad', [input], config), out, channelsLast(out));
};

const resize: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  if (x.shape.length !== 3) throw node.unsupported('only 2-D resizing is supported');
  const mode = node.string('mode', 'nearest');
  const transform = node.string(
    'coordinate_transformation_mode',
    node.opType === 'Upsample' ? 'asymmetric' : 'half_pixel',
  );
  const config: Record<string, unknown> = {};
  if (mode === 'nearest') {
    config.method = 'nearest';
    const rounding = node.string('nearest_mode', 'round_prefer_floor');
    if (transform !== 'asymmetric' || (node.opType === 'Resize' && rounding !== 'floor'))
      throw node.unsupported(
        `nearest resizing with ${transform} coordinates and ${rounding} rounding (asymmetric + floor is torch's)`,
      );
  } else if (mode === 'linear' || mode === 'bilinear') {
    config.method = 'bilinear';
    if (transform === 'align_corners') config.alignCorners = true;
    else if (transform === 'half_pixel' || transform === 'pytorch_half_pixel') config.halfPixelCenters = true;
    else if (transform !== 'asymmetric')
      throw node.unsupported(`coordinate_transformation_mode ${transform}`);
  } else throw node.unsupported(`mode '${mode}'`);
  const scalesIndex = node.opType === 'Upsample' ? 1 : 2;
  const scales = node.proto.input?.[scalesIndex] ? Array.from(node.known(scalesIndex).dataSync()) : [];
  let outHW: number[];
  if (scales.length === 4) {
    config.scale = scales.slice(2);
    outHW = [0, 1].map((i) => Math.floor(x.shape[i + 1] * scales[i + 2]));
  } else {
    const sizes = Array.from(node.known(3).dataSync());
    outHW = sizes.slice(2);
    config.size = outHW;
  }
  const out = [x.shape[0], ...outHW];
  const input = ctx.inLayout(x, channelsLast(x.shape));
  return computed(ctx.emit(node.name, 'upsample2d', [input], config), out, channelsLast(out));
};

const batchNormalization: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const target = x.shape.length === 1 ? plain(x.shape) : channelsLast(x.shape);
  const input = ctx.inLayout(x, target);
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => tf.cast(node.known(i), 'float32'));
  const config = { epsilon: node.float('epsilon', 1e-5) };
  return computed(
    ctx.emit(node.name, 'batchnorm', [input], config, { gamma, beta, mean, variance }),
    x.shape,
    target,
  );
};

const layerNormalization: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const rank = x.shape.length + 1;
  const axis = node.int('axis', -1);
  const first = axis < 0 ? axis + rank : axis;
  if (first <= 0) throw node.unsupported('normalising over the batch axis');
  const input = ctx.inLayout(x, plain(x.shape));
  const axes = Array.from({ length: rank - first }, (_, i) => first + i);
  const gamma = tf.cast(node.known(1), 'float32');
  const beta = node.optionalKnown(2) ? tf.cast(node.known(2), 'float32') : null;
  const config = { axes, epsilon: node.float('epsilon', 1e-5) };
  return computed(
    ctx.emit(node.name, 'layerNorm', [input], config, { gamma, beta }),
    x.shape,
    plain(x.shape),
  );
};

// ---- softmax and reductions --------------------------------------------------------------------

function softmax(kind: 'softmax' | 'logSoftmax'): OpMapper {
  return (node, ctx) => {
    const x = node.computed(0);
    const rank = x.shape.length + 1;
    const axis = node.int('axis', node.opset < 13 ? 1 : -1);
    const a = axis < 0 ? axis + rank : axis;
    // Before opset 13, softmax ran over all axes from `axis` on; that is one axis only when it is the last.
    if (node.opset < 13 && a !== rank - 1)
      throw node.unsupported(`opset ${node.opset} softmax over axes ${a}… (not only the last)`);
    const { node: input, layout } = ctx.asPermutation(x);
    const config = { axis: attribAxis(layout, sampleAxis(node, a, x.shape.length)) };
    return computed(ctx.emit(node.name, kind, [input], config), x.shape, layout);
  };
}

function reduce(kind: 'reduceMean' | 'reduceSum'): OpMapper {
  return (node, ctx) => {
    const x = node.computed(0);
    const listed = axesOf(node, 1);
    const noop = node.int('noop_with_empty_axes', 0) === 1;
    if (!listed?.length && noop) return x;
    const axes = (listed?.length ? listed : x.shape.map((_, i) => i + 1)).map((a) =>
      sampleAxis(node, a, x.shape.length),
    );
    const keepDims = node.int('keepdims', 1) === 1;
    const { node: input, layout } = ctx.asPermutation(x);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const config = { axes: axes.map((a) => attribAxis(layout, a)), keepDims };
    const attrib = permute(kept, layout.perm).filter((_, i) => keepDims || !axes.includes(layout.perm[i]));
    const name = ctx.emit(node.name, kind, [input], config);
    return computed(name, out, { source: kept, perm: layout.perm, attrib });
  };
}

// ---- shape -------------------------------------------------------------------------------------

/**
 * Reshape-like ops (Reshape, Flatten, Squeeze, Unsqueeze) to the per-sample shape `target`. A tensor in
 * ONNX order gets a `reshape` (or `flatten`) node; a permuted one keeps its Attrib values and only its
 * bookkeeping changes, except that a flatten to one axis is a real `flatten` node (so a following
 * linear layer reads a [N, K] tensor whose features are in Attrib order).
 */
function reshapeTo(node: NodeView, ctx: ImportContext, x: Computed, target: number[]): Value {
  if (size(target) !== size(x.shape))
    throw node.unsupported(`cannot reshape [N,${x.shape}] to [N,${target}]`);
  if (sameShape(target, x.shape)) return x;
  if (isTrivial(x.layout)) {
    if (sameShape(x.layout.attrib, target)) return computed(x.node, target, plain(target));
    const name =
      target.length === 1
        ? ctx.emit(node.name, 'flatten', [x.node])
        : ctx.emit(node.name, 'reshape', [x.node], { shape: target });
    return computed(name, target, plain(target));
  }
  if (target.length === 1) {
    const layout = { ...x.layout, attrib: target };
    if (x.layout.attrib.length === 1) return computed(x.node, target, layout);
    return computed(ctx.emit(node.name, 'flatten', [x.node]), target, layout);
  }
  return computed(x.node, target, x.layout);
}

/** Reshape's per-sample target: the batch entry may be 0, −1 or the folded batch size. */
function reshapeTarget(node: NodeView, x: Computed): number[] {
  const raw = Array.from(node.known(1).dataSync());
  const allowZero = node.int('allowzero', 0) === 1;
  const full = [0, ...x.shape];
  const dims = raw.map((d, i) => (d === 0 && !allowZero ? full[i] : d));
  const [batch, ...rest] = dims;
  const restKnown = rest.every((d) => d > 0);
  if (!(batch === 0 || batch === BATCH || (batch === -1 && restKnown)))
    throw node.unsupported(
      `target shape [${raw.map((d) => (d === BATCH ? 'N' : d))}] does not keep the batch axis first`,
    );
  const missing = rest.indexOf(-1);
  if (missing >= 0) rest[missing] = size(x.shape) / -size(rest);
  return rest;
}

const reshape: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  return reshapeTo(node, ctx, x, reshapeTarget(node, x));
};

const flatten: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const axis = node.int('axis', 1);
  if (axis !== 1 && axis !== -x.shape.length)
    throw node.unsupported(`axis ${axis} (only 1 keeps the batch apart)`);
  return reshapeTo(node, ctx, x, [size(x.shape)]);
};

const squeeze: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const axes = axesOf(node, 1);
  if (!axes?.length) throw node.unsupported('squeeze without axes (it could drop the batch axis)');
  return reshapeTo(node, ctx, x, squeezeShape([0, ...x.shape], axes).slice(1));
};

const unsqueeze: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const axes = axesOf(node, 1)!;
  const shape = unsqueezeShape([-1, ...x.shape], axes);
  if (shape[0] !== -1) throw node.unsupported('inserting an axis before the batch axis');
  return reshapeTo(node, ctx, x, shape.slice(1));
};

/** Transpose is bookkeeping only: the Attrib values stay put and the layout records the new order. */
const transpose: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const rank = x.shape.length + 1;
  const perm = node.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm[0] !== 0) throw node.unsupported(`perm [${perm}] moves the batch axis`);
  const t = perm.slice(1).map((p) => p - 1);
  const { node: input, layout } = ctx.asPermutation(x);
  const out = permute(x.shape, t);
  const inverse = invert(t);
  return computed(input, out, {
    source: out,
    perm: layout.perm.map((p) => inverse[p]),
    attrib: layout.attrib,
  });
};

const concat: OpMapper = (node, ctx) => {
  const inputs = node.inputs as Value[];
  if (inputs.some((v) => v.type !== 'computed')) throw node.unsupported('a constant among computed inputs');
  const values = inputs as Computed[];
  const rank = values[0].shape.length;
  const a = sampleAxis(node, node.int('axis', 0), rank);
  const first = values[0];
  const perm = isPermutationOf(first.layout, first.shape) ? first.layout.perm : plain(first.shape).perm;
  const names = values.map((v) => ctx.inLayout(v, { source: v.shape, perm, attrib: permute(v.shape, perm) }));
  const out = first.shape.map((d, i) => (i === a ? values.reduce((acc, v) => acc + v.shape[i], 0) : d));
  const layout = { source: out, perm, attrib: permute(out, perm) };
  return computed(ctx.emit(node.name, 'concat', names, { axis: attribAxis(layout, a) }), out, layout);
};

const slice: OpMapper = (node, ctx) => {
  const x = node.computed(0);
  const starts = node.ints('starts') ?? Array.from(node.known(1).dataSync());
  const ends = node.ints('ends') ?? Array.from(node.known(2).dataSync());
  const axes =
    node.ints('axes') ??
    (node.proto.input?.[3] ? Array.from(node.known(3).dataSync()) : starts.map((_, i) => i));
  const steps = node.proto.input?.[4] ? Array.from(node.known(4).dataSync()) : starts.map(() => 1);
  const { node: input, layout } = ctx.asPermutation(x);
  const begin = new Array<number>(x.shape.length + 1).fill(0);
  const sizes = [-1, ...permute(x.shape, layout.perm)];
  const out = [...x.shape];
  axes.forEach((axis, i) => {
    const full = axis < 0 ? axis + x.shape.length + 1 : axis;
    if (full === 0) {
      if (starts[i] === 0 && ends[i] >= 2 ** 31 - 1 && steps[i] === 1) return;
      throw node.unsupported('slicing the batch axis');
    }
    if (steps[i] !== 1) throw node.unsupported(`step ${steps[i]} (only 1)`);
    const a = full - 1;
    const dim = x.shape[a];
    const clamp = (v: number) => Math.max(0, Math.min(dim, v < 0 ? v + dim : v));
    const [s, e] = [clamp(starts[i]), clamp(ends[i])];
    out[a] = Math.max(0, e - s);
    const q = attribAxis(layout, a);
    begin[q] = s;
    sizes[q] = out[a];
  });
  const name = ctx.emit(node.name, 'slice', [input], { begin, size: sizes });
  return computed(name, out, withShape(layout, out));
};

/** Gather: embedding lookups (a constant table, computed ids) and constant index picks. */
const gather: OpMapper = (node, ctx) => {
  const [data, indices] = node.inputs as Value[];
  if (data.type === 'known' && indices.type === 'computed') {
    if (node.int('axis', 0) !== 0 || data.tensor.rank !== 2)
      throw node.unsupported('lookups other than rows of a 2-D table');
    const weight = tf.cast(data.tensor, 'float32');
    const out = [...indices.shape, data.tensor.shape[1] as number];
    const ids = ctx.inLayout(indices, plain(indices.shape));
    return computed(ctx.emit(node.name, 'embedding', [ids], {}, { weight }), out, plain(out));
  }
  if (data.type === 'computed' && indices.type === 'known' && indices.tensor.rank === 0) {
    const a = sampleAxis(node, node.int('axis', 0), data.shape.length);
    let index = indices.tensor.dataSync()[0];
    if (index < 0) index += data.shape[a];
    const { node: input, layout } = ctx.asPermutation(data);
    const begin = new Array<number>(data.shape.length + 1).fill(0);
    const sizes = [-1, ...permute(data.shape, layout.perm)];
    const q = attribAxis(layout, a);
    begin[q] = index;
    sizes[q] = 1;
    const picked = data.shape.map((d, i) => (i === a ? 1 : d));
    const name = ctx.emit(node.name, 'slice', [input], { begin, size: sizes });
    const out = data.shape.filter((_, i) => i !== a);
    return computed(name, out, withShape(layout, picked));
  }
  throw node.unsupported('indices that are computed, or several constant indices into a computed tensor');
};

/** Shape of a computed tensor is known at import time, except the batch size (see BATCH). */
const shape: OpMapper = (node) => {
  const x = node.computed(0);
  const full = [BATCH, ...x.shape];
  const rank = full.length;
  const norm = (a: number) => (a < 0 ? a + rank : a);
  const dims = full.slice(norm(node.int('start', 0)), norm(node.int('end', rank)));
  return known(tf.tensor1d(dims, 'int32'));
};

const cast: OpMapper = (node) => {
  const x = node.computed(0);
  const to = node.int('to', 1);
  const float = to === 1 || to === 10 || to === 11;
  if (float !== (x.dtype === 'float32'))
    throw node.unsupported('casting a computed tensor between integers and floats');
  return x;
};

export const mappers: Readonly<Record<string, OpMapper>> = {
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Softplus: unary('softplus'),
  Exp: unary('exp'),
  Selu: (node, ctx) => {
    const alpha = node.float('alpha', 1.67326319217681884765625);
    const gamma = node.float('gamma', 1.05070102214813232421875);
    if (Math.abs(alpha - 1.6732632) > 1e-6 || Math.abs(gamma - 1.050701) > 1e-6)
      throw node.unsupported('non-default alpha or gamma');
    return unary('selu')(node, ctx);
  },
  Elu: (node, ctx) => {
    if (node.float('alpha', 1) !== 1) throw node.unsupported('alpha other than 1');
    return unary('elu')(node, ctx);
  },
  LeakyRelu: unary('leakyRelu', (node) => ({ alpha: node.float('alpha', 0.01) })),
  HardSigmoid: unary('hardSigmoid', (node) => ({
    alpha: node.float('alpha', 0.2),
    beta: node.float('beta', 0.5),
  })),
  HardSwish: unary('hardSwish'),
  Gelu: unary('gelu', (node) => ({ approximate: node.string('approximate', 'none') })),
  Clip: clip,
  PRelu: prelu,
  Identity: alias,
  Dropout: alias,
  Cast: cast,
  Add: arithmetic('Add'),
  Sub: arithmetic('Sub'),
  Mul: arithmetic('Mul'),
  Div: arithmetic('Div'),
  Gemm: gemm,
  MatMul: matMul,
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('maxpool2d'),
  AveragePool: pool('avgpool2d'),
  GlobalAveragePool: globalPool('globalAvgPool'),
  GlobalMaxPool: globalPool('globalMaxPool'),
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Softmax: softmax('softmax'),
  LogSoftmax: softmax('logSoftmax'),
  ReduceMean: reduce('reduceMean'),
  ReduceSum: reduce('reduceSum'),
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Gather: gather,
  Shape: shape,
};
