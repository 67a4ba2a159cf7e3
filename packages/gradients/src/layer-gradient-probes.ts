import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph, type Target } from '@attrib/core';
import type { ResolvedLayer } from './layer-selection.js';

export interface LayerGradients {
  /** ∂Σ target/∂tensor per layer key, shape of the tensor. */
  readonly gradients: Map<string, tf.Tensor>;
  /** The tensor's value in the same pass. */
  readonly activations: Map<string, tf.Tensor>;
}

/**
 * Gradients of the target at layer tensors only: core's `gradients` with the backward pass stopped at
 * those tensors (no input gradient, which is the most expensive part of a conv net's backward on wasm).
 */
export function layerGradients(
  model: Graph,
  inputs: readonly tf.Tensor[],
  layers: readonly ResolvedLayer[],
  target: Target | undefined,
  fn: string,
): LayerGradients {
  const result = gradients(model, [...inputs], {
    target,
    tensors: layers.map((l) => l.ref),
    inputGradients: false,
    fn,
  });
  tf.dispose([result.output, result.objective]);
  return { gradients: result.tensorGradients, activations: result.activations };
}
