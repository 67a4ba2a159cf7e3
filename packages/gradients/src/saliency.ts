import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { checkInput } from './approximation-input.js';
import type { AttributionResult, TargetOptions } from './types.js';

export interface SaliencyOptions extends TargetOptions {
  /** Absolute value of the gradient (Captum's default). */
  readonly abs?: boolean;
}

/** Saliency (Simonyan et al.): `∂f[t]/∂x`, its absolute value by default. One batched backward pass. */
export async function saliency(
  model: Graph,
  inputs: tf.Tensor,
  options: SaliencyOptions = {},
): Promise<AttributionResult> {
  const fn = 'saliency';
  const input = checkInput(model, inputs, fn);
  const result = gradients(model, input, { target: options.target, fn });
  tf.dispose([result.output, result.objective]);
  const [gradient] = result.inputGradients;
  if (options.abs === false) return { attributions: gradient };
  const attributions = tf.abs(gradient);
  gradient.dispose();
  return { attributions };
}
