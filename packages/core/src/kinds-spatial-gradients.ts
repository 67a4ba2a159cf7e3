import * as tf from '@tensorflow/tfjs-core';
import { dilateSpatial } from './pooling.js';

const depthwiseMarker = Symbol.for('attrib.depthwise-conv2d-gradient');

/** Explicit spatial padding of a conv or pool, `[top, bottom, left, right]`. */
export type Pads4 = readonly [number, number, number, number];

/** What a conv gradient needs to know about the forward conv (tfjs's Conv2DInfo, reduced). */
interface ConvGeometry {
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pads: Pads4;
}

/** The geometry tfjs resolved for a conv kernel call (its `pad` may be 'same', a number, explicit…). */
function geometryOf(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
  );
  const { top, bottom, left, right } = info.padInfo;
  return {
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    pads: [top, bottom, left, right],
  };
}

/**
 * Pads with `value` (positive amounts) or crops (negative amounts) axes 1 and 2 of an NHWC tensor:
 * `amounts = [top, bottom, left, right]`.
 */
export function padOrCrop(x: tf.Tensor4D, amounts: readonly number[], value = 0): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const crop = amounts.map((a) => Math.max(0, -a));
  const cropped = crop.some((a) => a > 0)
    ? tf.slice(x, [0, crop[0], crop[2], 0], [n, h - crop[0] - crop[1], w - crop[2] - crop[3], c])
    : x;
  const grow = amounts.map((a) => Math.max(0, a));
  return grow.some((a) => a > 0)
    ? tf.pad(
        cropped,
        [
          [0, 0],
          [grow[0], grow[1]],
          [grow[2], grow[3]],
          [0, 0],
        ],
        value,
      )
    : cropped;
}

/**
 * `x[:, start + i·step, …]` for `i < count` along axis 1 or 2, from slice, pad and reshape only (tfjs's
 * StridedSlice has no gradient), so second-order gradients pass through.
 */
function stridedRange(x: tf.Tensor4D, axis: 1 | 2, start: number, count: number, step: number): tf.Tensor4D {
  const begin = [0, 0, 0, 0];
  const size: number[] = [...x.shape];
  begin[axis] = start;
  size[axis] = (count - 1) * step + 1;
  const window = tf.slice(x, begin, size);
  if (step === 1) return window;
  const padding: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  padding[axis] = [0, step - 1];
  const padded = tf.pad(window, padding);
  const split: number[] = [...padded.shape];
  split.splice(axis, 1, count, step);
  const firsts = [...split];
  firsts[axis + 1] = 1;
  const kept: tf.Tensor = tf.slice(tf.reshape(padded, split), [0, 0, 0, 0, 0], firsts);
  // A new array: tf.slice keeps `size` by reference for its gradient.
  const shape = [...size] as [number, number, number, number];
  shape[axis] = count;
  return tf.reshape(kept, shape);
}

/** The input patch each filter tap (p, q) sees, for every output position: `[N, Ho, Wo, C]`. */
function tapInputs(
  x: tf.Tensor4D,
  [kh, kw]: readonly number[],
  [ho, wo]: readonly number[],
  { strides, dilations, pads }: ConvGeometry,
): tf.Tensor4D[][] {
  const xPad = padOrCrop(x, pads);
  return Array.from({ length: kh }, (_, p) => {
    const rows = stridedRange(xPad, 1, p * dilations[0], ho, strides[0]);
    return Array.from({ length: kw }, (_, q) => stridedRange(rows, 2, q * dilations[1], wo, strides[1]));
  });
}

/**
 * The filter gradient of an NHWC conv2d (`filter [kh,kw,cin,cout]`): for each tap, one matmul of the
 * input patch it saw with the output gradient. tfjs-backend-wasm has no Conv2DBackpropFilter kernel,
 * so without this no conv weight gradient (canonizer checks, second-order explanations) ran on wasm.
 */
function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  geometry: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const [, ho, wo] = dy.shape;
    const dyRows = tf.reshape(dy, [-1, cout]) as tf.Tensor2D;
    const taps = tapInputs(x, [kh, kw], [ho, wo], geometry).map((row) =>
      tf.stack(row.map((patch) => tf.matMul(tf.reshape(patch, [-1, cin]) as tf.Tensor2D, dyRows, true))),
    );
    return tf.stack(taps) as tf.Tensor4D;
  });
}

/** `conv2dFilterGradient` for a tfjs Conv2D kernel call (what core's Conv2D gradient calls on wasm). */
export function conv2dFilterGradientFromAttrs(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  attrs: tf.NamedAttrMap,
): tf.Tensor4D {
  return conv2dFilterGradient(x, dy, filterShape, geometryOf(x.shape, filterShape, attrs, false));
}

/**
 * The input gradient of an NHWC depthwise conv (`filter [kh,kw,C,m]`, output channel c·m + j): a
 * depthwise forward conv of the stride-dilated, padded output gradient with the spatially flipped
 * filter, summed over the multiplier. tfjs-backend-wasm has no DepthwiseConv2dNativeBackpropInput
 * kernel, and tfjs has no gradient of that kernel anywhere; these ops run on every backend and are
 * differentiable again.
 */
export function depthwiseInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: readonly number[],
  { strides, dilations, pads }: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = xShape;
    const [kh, kw, , m] = filter.shape;
    const spread = dilateSpatial(dy, strides);
    const effH = (kh - 1) * dilations[0] + 1;
    const effW = (kw - 1) * dilations[1] + 1;
    // The padded input row r receives dy rows i with i·s + p·d = r: a full correlation with the flipped
    // filter, less the input padding; rows past the last window get nothing.
    const framed = padOrCrop(spread, [
      effH - 1 - pads[0],
      h + pads[0] - spread.shape[1],
      effW - 1 - pads[2],
      w + pads[2] - spread.shape[2],
    ]);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
    const perCopy = tf.depthwiseConv2d(framed, flipped, 1, 'valid', 'NHWC', [dilations[0], dilations[1]]);
    return (m === 1 ? perCopy : tf.sum(tf.reshape(perCopy, [n, h, w, c, m]), -1)) as tf.Tensor4D;
  });
}

/**
 * The filter gradient of an NHWC depthwise conv: per tap, the channelwise product of the input patch and
 * the output gradient, summed over N, H and W by one matmul with a row of ones for all taps (a sum over
 * leading axes would transpose on cpu and wasm).
 */
function depthwiseFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  geometry: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filterShape as [number, number, number, number];
    const [n, ho, wo] = dy.shape;
    const rows = n * ho * wo;
    const dyCopies = tf.reshape(dy, [rows, c, m]);
    const products = tapInputs(x, [kh, kw], [ho, wo], geometry).flatMap((row) =>
      row.map((patch) => tf.reshape(tf.mul(tf.reshape(patch, [rows, c, 1]), dyCopies), [rows, c * m])),
    );
    const summed = tf.matMul(tf.ones([1, rows]), tf.concat(products, 1) as tf.Tensor2D);
    return tf.reshape(summed, [kh, kw, c, m]);
  });
}

const backpropInput = 'DepthwiseConv2dNativeBackpropInput';
const backpropFilter = 'DepthwiseConv2dNativeBackpropFilter';

/** The forward conv's attributes, as tfjs's depthwise backprop kernels take them. */
function convAttrs(attrs: tf.NamedAttrMap): tf.NamedAttrMap {
  const { strides, pad, dilations, dimRoundingMode } = attrs;
  return { strides, pad, dilations: dilations ?? 1, dimRoundingMode };
}

/**
 * Registers the gradients of depthwise convs. DepthwiseConv2dNative: tfjs's backprop kernels where the
 * backend has them (cpu, webgl: faster) and the conv is not dilated (they ignore dilations), else `depthwiseInputGradient` / `depthwiseFilterGradient`
 * (wasm has neither kernel, so depthwise nets such as MobileNet had no gradient there). And the
 * gradients of those two backprop kernels, which tfjs lacks (no second-order gradient through a
 * depthwise conv anywhere): each is linear in both inputs, so its gradients are the forward conv and
 * the other backprop. Idempotent.
 */
export function registerDepthwiseGradient(): void {
  const current = tf.getGradient(tf.DepthwiseConv2dNative);
  if (current && (current as unknown as Record<symbol, boolean>)[depthwiseMarker]) return;
  const forward: tf.GradConfig = {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const geometry = geometryOf(x.shape, filter.shape, attrs, true);
      // tfjs's backprop kernels ignore dilations (tested against finite differences).
      const undilated = geometry.dilations.every((d) => d === 1);
      const useKernel = (name: string) => undilated && tf.getKernel(name, tf.getBackend()) !== undefined;
      const run = (name: string, inputs: tf.NamedTensorMap, extra: tf.NamedAttrMap) =>
        tf.engine().runKernel(name, inputs, { ...convAttrs(attrs), ...extra }) as tf.Tensor;
      return {
        x: () =>
          useKernel(backpropInput)
            ? run(backpropInput, { dy: dy as tf.Tensor, filter }, { inputShape: x.shape })
            : depthwiseInputGradient(dy as tf.Tensor4D, filter, x.shape, geometry),
        filter: () =>
          useKernel(backpropFilter)
            ? run(backpropFilter, { x, dy: dy as tf.Tensor }, { filterShape: filter.shape })
            : depthwiseFilterGradient(x, dy as tf.Tensor4D, filter.shape, geometry),
      };
    },
  };
  // dx = B_in(dy, w) satisfies ⟨a, B_in(dy, w)⟩ = ⟨dy, conv(a, w)⟩, so for an incoming ddx:
  // ∂/∂dy = conv(ddx, w) and ∂/∂w = B_filter(ddx, dy). Likewise for dw = B_filter(x, dy).
  const forwardConv = (x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap) =>
    tf.depthwiseConv2d(
      x as tf.Tensor4D,
      filter as tf.Tensor4D,
      attrs.strides as [number, number],
      attrs.pad as 'valid',
      'NHWC',
      (attrs.dilations ?? 1) as [number, number],
      attrs.dimRoundingMode as 'floor' | undefined,
    );
  const inputBackward: tf.GradConfig = {
    kernelName: backpropInput,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const geometry = geometryOf(attrs.inputShape as number[], filter.shape, attrs, true);
      return {
        dy: () => forwardConv(ddx as tf.Tensor, filter, attrs),
        filter: () => depthwiseFilterGradient(ddx as tf.Tensor4D, dy, filter.shape, geometry),
      };
    },
  };
  const filterBackward: tf.GradConfig = {
    kernelName: backpropFilter,
    inputsToSave: ['x', 'dy'],
    gradFunc: (ddw, saved, attrs) => {
      const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
      const geometry = geometryOf(x.shape, attrs.filterShape as number[], attrs, true);
      return {
        x: () => depthwiseInputGradient(dy, ddw as tf.Tensor4D, x.shape, geometry),
        dy: () => forwardConv(x, ddw as tf.Tensor, attrs),
      };
    },
  };
  (forward as unknown as Record<symbol, boolean>)[depthwiseMarker] = true;
  tf.registerGradient(inputBackward);
  tf.registerGradient(filterBackward);
  tf.registerGradient(forward);
}
