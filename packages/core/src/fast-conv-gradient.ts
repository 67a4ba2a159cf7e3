import * as tf from '@tensorflow/tfjs-core';

const fastMarker = Symbol.for('attrib.fast-conv2d-gradient');

type Pad = 'valid' | 'same' | number | number[][];

/** [top, bottom, left, right] padding of a stride-1 NHWC conv, or null for a case we do not handle. */
function paddings(pad: Pad, effectiveH: number, effectiveW: number): [number, number, number, number] | null {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    // tfjs's SAME for stride 1: the filter's extent minus one, the extra row or column at the end.
    const [h, w] = [effectiveH - 1, effectiveW - 1];
    return [Math.floor(h / 2), h - Math.floor(h / 2), Math.floor(w / 2), w - Math.floor(w / 2)];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (Array.isArray(pad) && pad.length === 4) return [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
  return null;
}

/**
 * A faster input gradient for stride-1 NHWC convolutions on wasm: the forward convolution of the padded
 * output gradient with the spatially flipped, in/out-transposed filter. On tfjs-backend-wasm
 * Conv2DBackpropInput is many times slower than Conv2D, so every gradient through a conv net (saliency,
 * integrated gradients, …) pays mostly for it. Other backends and cases, and the filter gradient, keep
 * tfjs's own backward.
 * The result equals Conv2DBackpropInput up to float32 summation order, and it is differentiable again.
 * It also covers dilated stride-1 convolutions, whose input gradient tfjs does not implement.
 */
export function registerFastConvGradient(): void {
  const original = tf.getGradient(tf.Conv2D);
  if (!original || (original as unknown as Record<symbol, boolean>)[fastMarker]) return;
  const config: tf.GradConfig = {
    kernelName: tf.Conv2D,
    inputsToSave: original.inputsToSave ?? ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const filter = saved[1] as tf.Tensor4D;
      const { strides, pad, dataFormat, dilations } = attrs as unknown as {
        strides: number | [number, number];
        pad: Pad;
        dataFormat?: string;
        dilations?: number | [number, number];
      };
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      const [dh, dw] =
        dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
      const [kh, kw] = filter.shape;
      const effectiveH = (kh - 1) * dh + 1;
      const effectiveW = (kw - 1) * dw + 1;
      const padding =
        (dataFormat ?? 'NHWC') === 'NHWC' && sh === 1 && sw === 1
          ? paddings(pad, effectiveH, effectiveW)
          : null;
      const back = padding?.map((p, i) => (i < 2 ? effectiveH : effectiveW) - 1 - p);
      // Measured (tooling/bench suite conv-backward): 3–8× faster than Conv2DBackpropInput on wasm, 2–3×
      // slower on cpu; dilated convolutions have no tfjs input gradient at all.
      const worthIt = tf.getBackend() === 'wasm' || dh > 1 || dw > 1;
      const fast = worthIt && back !== undefined && back.every((p) => p >= 0);
      return {
        x: () =>
          fast
            ? tf.conv2d(
                tf.pad(dy as tf.Tensor4D, [
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
              )
            : (original.gradFunc(dy, saved, attrs).x() as tf.Tensor),
        filter: () => original.gradFunc(dy, saved, attrs).filter() as tf.Tensor,
      };
    },
  };
  (config as unknown as Record<symbol, boolean>)[fastMarker] = true;
  tf.registerGradient(config);
}
