import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule, GraphNode } from '@attrib/core';

/** GuidedBackprop's ReLU backward: only positive gradient, and only where the ReLU was open. */
export const guidedReluRule: BackwardRule = {
  name: 'guided-relu',
  backward: ({ inputs, gradOutput }) => [tf.tidy(() => tf.mul(tf.relu(gradOutput), tf.step(inputs[0], 0)))],
};

/** Deconvolution's ReLU backward: the ReLU is applied to the gradient; the forward mask is ignored. */
export const deconvolutionReluRule: BackwardRule = {
  name: 'deconvolution-relu',
  backward: ({ gradOutput }) => [tf.relu(gradOutput)],
};

/** Rule lookup for a reverse walk: `rule` at every ReLU node, plain gradient elsewhere. */
export function atEveryRelu(rule: BackwardRule): (node: GraphNode) => BackwardRule | undefined {
  return (node) => (node.module.kind === 'relu' ? rule : undefined);
}
