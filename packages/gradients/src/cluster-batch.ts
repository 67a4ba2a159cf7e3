import * as tf from '@tensorflow/tfjs-core';
import { gradients, tensorRefKey, type Graph, type Target, type TensorRef } from '@attrib/core';

export interface ClusterBatch {
  /** ∂out[i, t_i]/∂z_i for each sample, flattened to [rows, units]. */
  readonly gradient: tf.Tensor2D;
  /** The layer tensor z_i itself, [rows, units]. */
  readonly activation: tf.Tensor2D;
}

/** The layer tensor a cluster is scored on: a node's output, or what enters it. */
export function clusterLayerRef(layer: string, attributeToLayerInput = false): TensorRef {
  return attributeToLayerInput ? { node: layer, at: 'input' } : layer;
}

/**
 * Per-sample gradients at the layer for a whole batch in ONE forward and ONE backward pass. Samples
 * do not interact, so row i of the batched gradient of Σᵢ out[i, tᵢ] is sample i's own gradient —
 * what a loop of single-sample backward passes computes, without the loop.
 */
export function clusterBatchGradients(
  model: Graph,
  inputs: tf.Tensor,
  ref: TensorRef,
  target: Target | undefined,
  fn: string,
): ClusterBatch {
  const key = tensorRefKey(ref);
  // The backward stops at the layer: no input gradient is computed, since nobody reads it.
  const result = gradients(model, inputs, { target, tensors: [ref], inputGradients: false, fn });
  const rows = inputs.shape[0];
  const gradient = tf.reshape(result.tensorGradients.get(key)!, [rows, -1]) as tf.Tensor2D;
  const activation = tf.reshape(result.activations.get(key)!, [rows, -1]) as tf.Tensor2D;
  tf.dispose([
    result.output,
    result.objective,
    ...result.inputGradients,
    ...result.tensorGradients.values(),
    ...result.activations.values(),
  ]);
  return { gradient, activation };
}
