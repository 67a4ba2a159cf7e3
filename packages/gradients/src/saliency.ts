import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { explainedGradients, withInputs } from './method-inputs.js';
import { keys, type AttributionResult, type TargetOptions } from './types.js';

export interface SaliencyOptions extends TargetOptions {
  /** Absolute value of the gradient (Captum's default). */
  readonly abs?: boolean;
}

/** Saliency (Simonyan et al.): `∂f[t]/∂x`, its absolute value by default. One batched backward pass. */
export async function saliency<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: SaliencyOptions = {},
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'saliency';
  const o = checkOptions(fn, options, [...keys.target, 'abs'], { booleans: ['abs'] });
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const grads = explainedGradients(model, resolved.assemble(resolved.explained), resolved, o, fn);
    if (o.abs === false) return ownResult({ attributions: resolved.restore(grads) });
    const attributions = grads.map((g) => tf.abs(g));
    tf.dispose(grads);
    return ownResult({ attributions: resolved.restore(attributions) });
  });
}
