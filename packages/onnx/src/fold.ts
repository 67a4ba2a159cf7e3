import * as tf from '@tensorflow/tfjs-core';
import type { NodeView } from './context.js';

/**
 * Constant folding: ops evaluated at import time when every input is known (weights, Constant nodes,
 * and the shape arithmetic exporters emit around Reshape). Tensors are in the ONNX layout.
 */
export type Fold = (node: NodeView, inputs: readonly tf.Tensor[]) => tf.Tensor;

const normalizeAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Axes from the attribute (older opsets) or the second input (newer ones). */
export function axesOf(node: NodeView, inputIndex: number): number[] | undefined {
  const fromAttribute = node.ints('axes');
  if (fromAttribute) return fromAttribute;
  const known = node.optionalKnown(inputIndex);
  return known ? Array.from(known.dataSync()) : undefined;
}

export function unsqueezeShape(shape: readonly number[], axes: readonly number[]): number[] {
  const rank = shape.length + axes.length;
  const positions = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const rest = [...shape];
  return Array.from({ length: rank }, (_, i) => (positions.has(i) ? 1 : rest.shift()!));
}

export function squeezeShape(shape: readonly number[], axes: readonly number[] | undefined): number[] {
  if (!axes || axes.length === 0) return shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normalizeAxis(a, shape.length)));
  return shape.filter((_, i) => !drop.has(i));
}

const binary =
  (op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Fold =>
  (_node, [a, b]) =>
    op(a, b);

/** Integer division rounds toward zero in ONNX (shape arithmetic uses it), not toward −∞. */
function divide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'int32' || b.dtype !== 'int32') return tf.div(a, b);
  return tf.tidy(() => {
    const q = tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32'));
    return tf.cast(tf.mul(tf.sign(q), tf.floor(tf.abs(q))), 'int32');
  });
}

function slice(node: NodeView, [data, ...rest]: readonly tf.Tensor[]): tf.Tensor {
  const starts = node.ints('starts') ?? Array.from(rest[0].dataSync());
  const ends = node.ints('ends') ?? Array.from(rest[1].dataSync());
  const axes = node.ints('axes') ?? (rest[2] ? Array.from(rest[2].dataSync()) : starts.map((_, i) => i));
  const steps = rest[3] ? Array.from(rest[3].dataSync()) : starts.map(() => 1);
  const begin = data.shape.map(() => 0);
  const end = [...data.shape];
  const strides = data.shape.map(() => 1);
  axes.forEach((axis, i) => {
    const a = normalizeAxis(axis, data.rank);
    const dim = data.shape[a];
    const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + dim : v));
    strides[a] = steps[i];
    if (steps[i] > 0) {
      begin[a] = clamp(starts[i], 0, dim);
      end[a] = clamp(ends[i], 0, dim);
    } else {
      begin[a] = clamp(starts[i], -1, dim - 1);
      end[a] = clamp(ends[i], -1, dim - 1);
    }
  });
  return tf.stridedSlice(data, begin, end, strides);
}

export const folds: Readonly<Record<string, Fold>> = {
  Identity: (_n, [x]) => tf.clone(x),
  Cast: (node, [x]) => {
    const to = node.int('to', 1);
    return to === 1 || to === 10 || to === 11 ? tf.cast(x, 'float32') : tf.cast(x, 'int32');
  },
  Add: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  Div: binary(divide),
  Pow: binary(tf.pow),
  Sqrt: (_n, [x]) => tf.sqrt(x),
  Neg: (_n, [x]) => tf.neg(x),
  Floor: (_n, [x]) => tf.floor(x),
  Ceil: (_n, [x]) => tf.ceil(x),
  Equal: (_n, [a, b]) => tf.cast(tf.equal(a, b), 'int32'),
  // Through float32: tfjs-backend-wasm's Select returns int32 operands' bits as a float32 tensor.
  Where: (_n, [c, a, b]) =>
    tf.tidy(() => {
      const picked = tf.where(tf.cast(c, 'bool'), tf.cast(a, 'float32'), tf.cast(b, 'float32'));
      return a.dtype === 'int32' ? tf.cast(picked, 'int32') : picked;
    }),
  Shape: (node, [x]) => {
    const start = normalizeAxis(node.int('start', 0), x.rank);
    const end = normalizeAxis(node.int('end', x.rank), x.rank);
    return tf.tensor1d(x.shape.slice(start, end), 'int32');
  },
  Size: (_n, [x]) => tf.scalar(x.size, 'int32'),
  Gather: (node, [data, indices]) => {
    const axis = normalizeAxis(node.int('axis', 0), data.rank);
    const dim = data.shape[axis];
    // Negative indices count from the end; resolved here (tf.where on int32 is wrong on wasm).
    const positive = tf.tensor(
      Int32Array.from(indices.dataSync(), (i) => (i < 0 ? i + dim : i)),
      indices.shape,
      'int32',
    );
    const result = tf.gather(data, positive, axis);
    positive.dispose();
    return result;
  },
  Unsqueeze: (node, [x, axes]) =>
    tf.reshape(x, unsqueezeShape(x.shape, node.ints('axes') ?? Array.from(axes.dataSync()))),
  Squeeze: (node, [x, axes]) =>
    tf.reshape(
      x,
      squeezeShape(x.shape, node.ints('axes') ?? (axes ? Array.from(axes.dataSync()) : undefined)),
    ),
  Concat: (node, inputs) =>
    tf.concat(inputs as tf.Tensor[], normalizeAxis(node.int('axis', 0), inputs[0].rank)),
  Slice: slice,
  Reshape: (_node, [x, shape]) => {
    const target = Array.from(shape.dataSync()).map((d, i) => (d === 0 ? x.shape[i] : d));
    return tf.reshape(x, target);
  },
  Flatten: (node, [x]) => {
    const axis = normalizeAxis(node.int('axis', 1), x.rank);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return tf.reshape(x, [outer, -1]);
  },
  Transpose: (node, [x]) => tf.transpose(x, node.ints('perm')),
  Expand: (_node, [x, shape]) => {
    const target = Array.from(shape.dataSync());
    const rank = Math.max(target.length, x.rank);
    const padded = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
    const full = [...new Array<number>(rank - target.length).fill(1), ...target];
    return tf.broadcastTo(
      tf.reshape(x, padded),
      padded.map((d, i) => Math.max(d, full[i])),
    );
  },
  ConstantOfShape: (node, [shape]) => {
    const value = node.tensorAttribute('value');
    const fill = value ? value.dataSync()[0] : 0;
    const dtype = value?.dtype ?? 'float32';
    value?.dispose();
    return tf.fill(Array.from(shape.dataSync()), fill, dtype);
  },
  Range: (_node, [start, limit, delta]) => {
    const [s, l, d] = [start, limit, delta].map((t) => t.dataSync()[0]);
    return tf.range(s, l, d, start.dtype === 'int32' ? 'int32' : 'float32');
  },
  ReduceProd: (node, [x]) => tf.prod(x, node.ints('axes'), node.int('keepdims', 1) === 1),
};
