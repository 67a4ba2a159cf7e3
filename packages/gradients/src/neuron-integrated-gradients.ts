import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { accumulateAll, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { explainedGradients, withBaselines, withInputs } from './method-inputs.js';
import { neuronRules, neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import { keys, type AttributionResult, type InputsOptions } from './types.js';

export interface NeuronIntegratedGradientsOptions
  extends NeuronAttributionOptions, PathOptions, InputsOptions {}

/** NeuronIntegratedGradients: IG of one neuron, `(x − b) · Σ_k s_k ∂neuron/∂x (b + α_k (x − b))`. */
export async function neuronIntegratedGradients<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronIntegratedGradientsOptions,
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'neuronIntegratedGradients';
  const o = checkOptions(fn, options, [...keys.neuron, ...keys.path, 'additionalInputs'], neuronRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const { objective } = neuronTarget(model, o, fn);
    const { alphas, stepSizes } = pathSchedule(o, fn);
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      let totals: tf.Tensor[] | undefined;
      try {
        await walkPath({ ...o, fn, model, inputs: resolved, baselines, alphas }, ({ start, end, points }) => {
          const grads = explainedGradients(model, points, resolved, { objective }, fn);
          const steps = stepSizes.slice(start, end);
          totals = accumulateAll(
            totals,
            grads.map((g) => sumSteps(g, steps, resolved.batch)),
          );
          tf.dispose(grads);
        });
        const attributions = tf.tidy(() =>
          resolved.explained.map((x, k) => tf.mul(tf.sub(x, baselines[k]), totals![k])),
        );
        return ownResult({ attributions: resolved.restore(attributions) });
      } finally {
        tf.dispose(totals ?? []);
      }
    });
  });
}
