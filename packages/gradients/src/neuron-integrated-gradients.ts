import * as tf from '@tensorflow/tfjs-core';
import { gradients, type Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { checkBaseline, checkInput } from './approximation-input.js';
import { accumulate, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import type { AttributionResult } from './types.js';

export interface NeuronIntegratedGradientsOptions extends NeuronAttributionOptions, PathOptions {}

/** NeuronIntegratedGradients: IG of one neuron, `(x − b) · Σ_k s_k ∂neuron/∂x (b + α_k (x − b))`. */
export async function neuronIntegratedGradients(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronIntegratedGradientsOptions,
): Promise<AttributionResult> {
  const fn = 'neuronIntegratedGradients';
  const input = checkInput(model, inputs, fn);
  const { objective } = neuronTarget(model, options, fn);
  const { alphas, stepSizes } = pathSchedule(options, fn);
  const batch = input.shape[0];
  const baseline = checkBaseline(options.baselines, input, fn);
  let total: tf.Tensor | undefined;
  try {
    await walkPath(
      {
        fn,
        input,
        baseline,
        alphas,
        internalBatchSize: options.internalBatchSize,
        onProgress: options.onProgress,
      },
      ({ start, end, points }) => {
        const result = gradients(model, points, { objective, fn });
        tf.dispose([result.output, result.objective]);
        const [gradient] = result.inputGradients;
        total = accumulate(total, sumSteps(gradient, stepSizes.slice(start, end), batch));
        gradient.dispose();
      },
    );
    return { attributions: tf.tidy(() => tf.mul(tf.sub(input, baseline), total!)) };
  } finally {
    tf.dispose([baseline, ...(total ? [total] : [])]);
  }
}
