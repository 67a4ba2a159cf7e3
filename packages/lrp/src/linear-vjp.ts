import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@attrib/core';

type Params = Readonly<Record<string, tf.Tensor>>;

function numbers(value: unknown, fallback: number[]): number[] {
  return Array.isArray(value) ? (value as number[]) : fallback;
}

/**
 * The input VJP of a stride-1 conv as a forward conv: dy padded by (k − 1 − pad) and convolved with
 * the filter flipped in space and transposed in/out. On wasm a Conv2D is several times faster than
 * the Conv2DBackpropInput that autograd would run. Null where the shortcut does not apply.
 */
function convInputVjp(module: Module, weight: tf.Tensor, x: tf.Tensor, dy: tf.Tensor): tf.Tensor | null {
  const strides = numbers(module.config.strides, [1, 1]);
  const dilations = numbers(module.config.dilations, [1, 1]);
  const [top, , left] = numbers(module.config.pad, [0, 0, 0, 0]);
  if (strides.some((s) => s !== 1) || dilations.some((d) => d !== 1) || x.rank !== 4) return null;
  const [kh, kw] = weight.shape;
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  const padBottom = x.shape[1]! + kh - 1 - dy.shape[1]! - padTop;
  const padRight = x.shape[2]! + kw - 1 - dy.shape[2]! - padLeft;
  if ([padTop, padLeft, padBottom, padRight].some((p) => p < 0)) return null;
  const flipped = tf.transpose(tf.reverse(weight, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ];
  return tf.conv2d(dy as tf.Tensor4D, flipped, 1, pad, 'NHWC');
}

/**
 * The VJP with respect to the input of a dense or conv layer, written directly (no forward re-run);
 * null for other modules or configurations, which then take the generic `tf.grads` path. Built from
 * differentiable ops, so explanations stay differentiable in the weights.
 */
export function linearInputVjp(
  module: Module,
  params: Params | undefined,
  inputs: readonly tf.Tensor[],
  dy: tf.Tensor,
): tf.Tensor[] | null {
  const weight = (params ?? module.params).weight;
  if (!weight || inputs.length !== 1) return null;
  const [x] = inputs;
  if (module.kind === 'linear' && x.rank === 2 && dy.rank === 2) return [tf.matMul(dy, weight, false, true)];
  if (module.kind === 'conv2d') {
    const dx = convInputVjp(module, weight, x, dy);
    return dx ? [dx] : null;
  }
  return null;
}
