import * as tf from '@tensorflow/tfjs-core';
import { vjp, type BackwardRule, type Graph, type GraphNode } from '@attrib/core';

/** Elementwise activations that get the rescale rule (Captum's `nonlinear`). */
const rescaled = new Set(['relu', 'sigmoid', 'tanh', 'elu', 'leakyRelu', 'softplus']);

/** Half-batch difference `a(x) − a(b)`, repeated for both halves of the stacked batch [x; b]. */
function stackedDelta(a: tf.Tensor): tf.Tensor {
  const [x, b] = tf.split(a, 2, 0);
  const delta = tf.sub(x, b);
  return tf.concat([delta, delta], 0);
}

function localGradient(node: GraphNode, inputs: readonly tf.Tensor[], gradOutput: tf.Tensor): tf.Tensor {
  return vjp((xs) => node.module.forward(xs), inputs, gradOutput)[0];
}

/**
 * Captum's DeepLift rules (rescale for activations, its max-pool rule) for a reverse walk over the
 * stacked batch [x; b]. Built per call: the rules share state the way Captum's hooks do.
 *
 * Captum hooks the tensor between an activation and a max-pool twice: the activation records its
 * arriving gradient before the pool's hook rewrites it. So an activation whose only reader is a
 * max-pool takes its multiplier's gradient from the pool's *plain* backward, and the rewritten one
 * only where |Δin| < eps (FORMAT §7.4, consequence 1).
 */
export function deepLiftRules(graph: Graph, eps: number): (node: GraphNode) => BackwardRule | undefined {
  const plainBeforePool = new Map<string, tf.Tensor>();
  const feedsOnlyPool = (name: string) => {
    if (graph.isInput(name) || !rescaled.has(graph.node(name).module.kind)) return false;
    const readers = graph.consumers(name);
    return readers.length === 1 && readers[0].module.kind === 'maxpool2d' && readers[0].inputs.length === 1;
  };

  const rescale: BackwardRule = {
    name: 'deep-lift-rescale',
    backward: ({ node, inputs, output, gradOutput }) => {
      const deltaIn = stackedDelta(inputs[0]);
      const recorded = plainBeforePool.get(node.name) ?? gradOutput;
      const multiplied = tf.div(tf.mul(recorded, stackedDelta(output)), deltaIn);
      return [tf.where(tf.less(tf.abs(deltaIn), eps), localGradient(node, inputs, gradOutput), multiplied)];
    },
  };

  const maxPool: BackwardRule = {
    name: 'deep-lift-maxpool',
    backward: ({ node, inputs, output, gradOutput }) => {
      const [o, ob] = tf.split(output, 2, 0);
      const cross = tf.maximum(o, ob);
      const deltaOut = tf.concat([tf.sub(cross, ob), tf.sub(o, cross)], 0);
      // Scattering to each half's argmax is the pool's own backward (the windows do not overlap here).
      const [fromX, fromB] = tf.split(localGradient(node, inputs, tf.mul(gradOutput, deltaOut)), 2, 0);
      const summed = tf.add(fromX, fromB);
      const deltaIn = stackedDelta(inputs[0]);
      const plain = localGradient(node, inputs, gradOutput);
      // Captum's `grad_input[0]` indexes the gradient tensor: the first sample's plain gradient, broadcast.
      const firstSample = tf.broadcastTo(tf.slice(plain, 0, 1), plain.shape);
      if (feedsOnlyPool(node.inputs[0])) plainBeforePool.set(node.inputs[0], plain);
      return [
        tf.where(tf.less(tf.abs(deltaIn), eps), firstSample, tf.div(tf.concat([summed, summed], 0), deltaIn)),
      ];
    },
  };

  return (node) =>
    rescaled.has(node.module.kind) ? rescale : node.module.kind === 'maxpool2d' ? maxPool : undefined;
}
