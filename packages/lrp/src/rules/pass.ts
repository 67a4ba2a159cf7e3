import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule } from '@attrib/core';

/**
 * Pass: relevance goes through unchanged (activations, BatchNorm). Every input receives the whole
 * relevance; an input of another shape but the same size (a flatten) receives it reshaped.
 */
export function pass(): BackwardRule {
  return {
    name: 'pass',
    backward: ({ inputs, gradOutput }) =>
      inputs.map((x) => {
        if (x.size !== gradOutput.size) {
          throw new Error(
            `pass needs inputs of the output's size; input [${x.shape}] vs output [${gradOutput.shape}]`,
          );
        }
        return x.shape.join() === gradOutput.shape.join() ? gradOutput : tf.reshape(gradOutput, x.shape);
      }),
  };
}
