import * as tf from '@tensorflow/tfjs-core';
import { conv2dInputGradient, type Module } from '@attrib/core';

type Params = Readonly<Record<string, tf.Tensor>>;

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
    // Core picks the fastest route per backend (a forward conv with flipped filters on wasm).
    const { strides, pad, dilations } = module.config as {
      strides?: number[];
      pad?: [number, number, number, number];
      dilations?: number[];
    };
    return [
      conv2dInputGradient(dy as tf.Tensor4D, weight as tf.Tensor4D, x.shape, {
        strides,
        pad: pad ?? 'valid',
        dilations,
      }),
    ];
  }
  return null;
}
