import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule } from '@attrib/core';

/** GuidedBackprop's ReLU backward: `1[x > 0] · max(g, 0)`. */
export function guidedBackpropRelu(): BackwardRule {
  return {
    name: 'guidedBackprop',
    backward: ({ inputs: [x], gradOutput }) => [tf.mul(tf.step(x), tf.relu(gradOutput))],
  };
}

/** Deconvnet's ReLU backward: `max(g, 0)`, the forward mask ignored. */
export function deconvnetRelu(): BackwardRule {
  return { name: 'deconvnet', backward: ({ gradOutput }) => [tf.relu(gradOutput)] };
}
