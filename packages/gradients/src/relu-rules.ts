import * as tf from '@tensorflow/tfjs-core';
import { kindBehaviour, type BackwardRule, type GraphNode } from '@attrib/core';

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

const reluRules = { guidedBackprop: guidedReluRule, deconvolution: deconvolutionReluRule };

/**
 * Rule lookup for a reverse walk, as Captum does it: the method's ReLU rule at every kind that declares
 * `relu`, a kind's own `rules[method]` where it carries one, the plain gradient at every other declared
 * kind, and an `UnsupportedKindError` naming `fn` at a kind that declares no behaviour.
 */
export function atEveryRelu(
  method: 'guidedBackprop' | 'deconvolution',
  fn: string = method,
): (node: GraphNode) => BackwardRule | undefined {
  return (node) => {
    const behaviour = kindBehaviour(node.module, fn, node.name);
    return behaviour.rules?.[method] ?? (behaviour.relu ? reluRules[method] : undefined);
  };
}
