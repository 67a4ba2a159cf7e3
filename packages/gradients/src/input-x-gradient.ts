import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { checkInput } from './approximation-input.js';
import type { AttributionResult, TargetOptions } from './types.js';

export type InputXGradientOptions = TargetOptions;

/** InputXGradient: `x · ∂f[t]/∂x`. One batched backward pass. */
export async function inputXGradient(
  model: Graph,
  inputs: tf.Tensor,
  options: InputXGradientOptions = {},
): Promise<AttributionResult> {
  const fn = 'inputXGradient';
  const input = checkInput(model, inputs, fn);
  const result = gradients(model, input, { target: options.target, fn });
  tf.dispose([result.output, result.objective]);
  const [gradient] = result.inputGradients;
  const attributions = tf.mul(input, gradient);
  gradient.dispose();
  return { attributions };
}
