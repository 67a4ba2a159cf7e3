import type * as tf from '@tensorflow/tfjs-core';
import { getKind, type Module } from '@attrib/core';

type Params = Readonly<Record<string, tf.Tensor>>;

/**
 * The VJP with respect to the input of a one-input layer whose kind writes it directly
 * (`KindBehaviour.inputVjp`: dense and conv layers, no forward re-run); null for other modules or
 * configurations, which then take the generic `tf.grads` path. Kinds build it from differentiable ops,
 * so explanations stay differentiable in the weights.
 */
export function linearInputVjp(
  module: Module,
  params: Params | undefined,
  inputs: readonly tf.Tensor[],
  dy: tf.Tensor,
): tf.Tensor[] | null {
  const inputVjp = getKind(module.kind)?.behaviour?.inputVjp;
  if (!inputVjp || inputs.length !== 1) return null;
  const gradient = inputVjp(dy, params ?? module.params, module.config, inputs[0].shape);
  return gradient ? [gradient] : null;
}
