import * as tf from '@tensorflow/tfjs-core';
import { conv2dFilterGradientFromAttrs } from './kinds-spatial-gradients.js';

const fastMarker = Symbol.for('attrib.fast-conv2d-gradient');

/** tfjs's conv padding forms, or `[top, bottom, left, right]`. */
export type ConvPadding = 'valid' | 'same' | number | number[][] | readonly [number, number, number, number];

/** [top, bottom, left, right] padding of a stride-1 NHWC conv, or null for a case we do not handle. */
function paddings(
  pad: ConvPadding,
  effectiveH: number,
  effectiveW: number,
): [number, number, number, number] | null {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    // tfjs's SAME for stride 1: the filter's extent minus one, the extra row or column at the end.
    const [h, w] = [effectiveH - 1, effectiveW - 1];
    return [Math.floor(h / 2), h - Math.floor(h / 2), Math.floor(w / 2), w - Math.floor(w / 2)];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad) && pad.length === 4 && pad.every((p) => typeof p === 'number'))
    return [...(pad as number[])] as [number, number, number, number];
  if (Array.isArray(pad) && pad.length === 4)
    return [
      (pad as number[][])[1][0],
      (pad as number[][])[1][1],
      (pad as number[][])[2][0],
      (pad as number[][])[2][1],
    ];
  return null;
}

const pair = (value: number | readonly number[] | undefined): [number, number] =>
  value === undefined ? [1, 1] : typeof value === 'number' ? [value, value] : [value[0], value[1]];

/**
 * The input gradient of an NHWC conv2d (the VJP with respect to x), by the fastest route on the active
 * backend. On wasm, tfjs's Conv2DBackpropInput is several times slower than a forward Conv2D, so a
 * stride-1 conv takes the forward convolution of the padded output gradient with the spatially flipped,
 * in/out-transposed filter (tooling/bench suite conv-backward: 3–8× faster there, 2–3× slower on cpu,
 * which keeps tfjs's kernel). Dilated stride-1 convolutions, which tfjs cannot differentiate, always take
 * the forward route. Built from differentiable ops, so second-order gradients pass through it.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: readonly number[],
  {
    strides = 1,
    pad = 'valid',
    dilations = 1,
  }: { strides?: number | readonly number[]; pad?: ConvPadding; dilations?: number | readonly number[] } = {},
): tf.Tensor4D {
  const [sh, sw] = pair(strides);
  const [dh, dw] = pair(dilations);
  const [kh, kw] = filter.shape;
  const effectiveH = (kh - 1) * dh + 1;
  const effectiveW = (kw - 1) * dw + 1;
  const padding = sh === 1 && sw === 1 ? paddings(pad, effectiveH, effectiveW) : null;
  const back = padding?.map((p, i) => (i < 2 ? effectiveH : effectiveW) - 1 - p);
  const dilated = dh > 1 || dw > 1;
  if ((tf.getBackend() === 'wasm' || dilated) && back && back.every((p) => p >= 0)) {
    return tf.tidy(() =>
      tf.conv2d(
        tf.pad(dy, [
          [0, 0],
          [back[0], back[1]],
          [back[2], back[3]],
          [0, 0],
        ]),
        tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D,
        1,
        'valid',
        'NHWC',
        [dh, dw],
      ),
    );
  }
  const tfjsPad =
    Array.isArray(pad) && pad.every((p) => typeof p === 'number')
      ? ([
          [0, 0],
          [pad[0], pad[1]],
          [pad[2], pad[3]],
          [0, 0],
        ] as [[number, number], [number, number], [number, number], [number, number]])
      : (pad as
          | 'valid'
          | 'same'
          | number
          | [[number, number], [number, number], [number, number], [number, number]]);
  return tf.conv2dTranspose(dy, filter, inputShape as [number, number, number, number], [sh, sw], tfjsPad);
}

/**
 * Registers a Conv2D gradient whose input gradient is `conv2dInputGradient` (NHWC); the filter
 * gradient and NCHW convolutions keep tfjs's own backward. Every gradient through a conv net on wasm
 * (saliency, integrated gradients, …) was paying mostly for Conv2DBackpropInput.
 */
export function registerFastConvGradient(): void {
  const original = tf.getGradient(tf.Conv2D);
  if (!original || (original as unknown as Record<symbol, boolean>)[fastMarker]) return;
  const config: tf.GradConfig = {
    kernelName: tf.Conv2D,
    inputsToSave: original.inputsToSave ?? ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dataFormat, dilations } = attrs as unknown as {
        strides: number | [number, number];
        pad: ConvPadding;
        dataFormat?: string;
        dilations?: number | [number, number];
      };
      return {
        x: () =>
          (dataFormat ?? 'NHWC') === 'NHWC'
            ? conv2dInputGradient(dy as tf.Tensor4D, filter, x.shape, { strides, pad, dilations })
            : (original.gradFunc(dy, saved, attrs).x() as tf.Tensor),
        // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: there, the filter gradient is built from
        // matmuls (kinds-spatial-gradients.ts), which also keeps it differentiable.
        filter: () =>
          tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) || (dataFormat ?? 'NHWC') !== 'NHWC'
            ? (original.gradFunc(dy, saved, attrs).filter() as tf.Tensor)
            : conv2dFilterGradientFromAttrs(x, dy as tf.Tensor4D, filter.shape, attrs),
      };
    },
  };
  (config as unknown as Record<symbol, boolean>)[fastMarker] = true;
  tf.registerGradient(config);
  registerBackpropGradients();
}

/**
 * Gradients of the two conv backprop kernels, so that a gradient of a conv's gradient (second order,
 * e.g. an explanation differentiated with respect to the weights) runs: tfjs has none for
 * Conv2DBackpropFilter, and its Conv2DBackpropInput gradient needs Conv2DBackpropFilter, which wasm
 * lacks. Each kernel is linear in both inputs: dx = B_in(dy, w) satisfies ⟨a, B_in(dy, w)⟩ =
 * ⟨dy, conv(a, w)⟩, so for an incoming ddx, ∂/∂dy = conv(ddx, w) and ∂/∂w = B_filter(ddx, dy); likewise
 * for dw = B_filter(x, dy). NHWC only (NCHW keeps tfjs's).
 */
function registerBackpropGradients(): void {
  const originalInput = tf.getGradient(tf.Conv2DBackpropInput);
  type Attrs = { strides: [number, number]; pad: ConvPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const forward = (x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap) => {
    const { strides, pad, dimRoundingMode } = attrs as unknown as Attrs;
    return tf.conv2d(
      x as tf.Tensor4D,
      filter as tf.Tensor4D,
      strides,
      pad as 'valid',
      'NHWC',
      1,
      dimRoundingMode,
    );
  };
  const nchw = (attrs: tf.NamedAttrMap) => (attrs.dataFormat ?? 'NHWC') !== 'NHWC';
  tf.registerGradient({
    kernelName: tf.Conv2DBackpropInput,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      if (nchw(attrs) && originalInput) return originalInput.gradFunc(ddx, saved, attrs);
      const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      return {
        dy: () => forward(ddx as tf.Tensor, filter, attrs),
        filter: () =>
          tf.getKernel('Conv2DBackpropFilter', tf.getBackend())
            ? (originalInput!.gradFunc(ddx, saved, attrs).filter() as tf.Tensor)
            : conv2dFilterGradientFromAttrs(ddx as tf.Tensor4D, dy, filter.shape, attrs),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Conv2DBackpropFilter,
    inputsToSave: ['x', 'dy'],
    gradFunc: (ddw, saved, attrs) => {
      const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as Attrs;
      return {
        x: () => conv2dInputGradient(dy, ddw as tf.Tensor4D, x.shape, { strides, pad }),
        dy: () => forward(x, ddw as tf.Tensor, attrs),
      };
    },
  });
}
