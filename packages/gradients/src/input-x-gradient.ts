import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { explainedGradients, withInputs } from './method-inputs.js';
import { keys, type AttributionResult, type TargetOptions } from './types.js';

export type InputXGradientOptions = TargetOptions;

/** InputXGradient: `x · ∂f[t]/∂x` for every explained input. One batched backward pass. */
export async function inputXGradient<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: InputXGradientOptions = {},
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'inputXGradient';
  const o = checkOptions(fn, options, keys.target);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const grads = explainedGradients(model, resolved.assemble(resolved.explained), resolved, o, fn);
    const attributions = grads.map((g, k) => tf.mul(resolved.explained[k], g));
    tf.dispose(grads);
    return ownResult({ attributions: resolved.restore(attributions) });
  });
}
