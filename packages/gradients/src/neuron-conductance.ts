import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  invalidArgument,
  ownResult,
  selectNeuron,
  tensorRefKey,
  type AttributionInputs,
  type Graph,
  type PerInput,
} from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { accumulateAll, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { layerGradients } from './layer-gradient-probes.js';
import { explainedGradients, withBaselines, withInputs } from './method-inputs.js';
import { neuronRules, neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import { keys, type AttributionResult, type TargetOptions } from './types.js';

export interface NeuronConductanceOptions extends NeuronAttributionOptions, TargetOptions, PathOptions {}

/**
 * NeuronConductance (Dhamdhere et al.): the flow of `f[t]` through one neuron, per input feature:
 * `(x − b) · Σ_k s_k · ∂neuron/∂x(α_k) · ∂f[t]/∂neuron(α_k)`. Default: riemannTrapezoid, 50 steps
 * (Captum's). Each chunk of path points takes two backward passes (neuron, then target).
 */
export async function neuronConductance<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronConductanceOptions,
): Promise<AttributionResult<PerInput<I>>> {
  const fn = 'neuronConductance';
  const o = checkOptions(fn, options, [...keys.neuron, ...keys.target, ...keys.path], neuronRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const neuron = neuronTarget(model, o, fn);
    if (typeof o.neuron === 'function') {
      throw invalidArgument(
        fn,
        'neuron',
        'an index or an index tuple (∂f/∂neuron needs one unit of the layer)',
        o.neuron,
      );
    }
    const { alphas, stepSizes } = pathSchedule(o, fn, { fallback: 'riemannTrapezoid' });
    const batch = resolved.batch;
    const layer = { layer: o.layer, ref: neuron.ref, key: tensorRefKey(neuron.ref), value: neuron.value };
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      let totals: tf.Tensor[] | undefined;
      try {
        await walkPath(
          { ...o, fn, model, inputs: resolved, baselines, alphas },
          ({ start, end, points, target }) => {
            // The target's gradient at the neuron first: it validates the target before any input-gradient pass.
            const outward = layerGradients(model, points, [layer], target, fn);
            try {
              const grads = explainedGradients(model, points, resolved, { objective: neuron.objective }, fn);
              const weighted = tf.tidy(() => {
                const throughNeuron = selectNeuron(outward.gradients.get(layer.key)!, o.neuron, fn);
                return grads.map((gradient) => {
                  const scale = tf.reshape(throughNeuron, [
                    gradient.shape[0],
                    ...gradient.shape.slice(1).map(() => 1),
                  ]);
                  return sumSteps(tf.mul(gradient, scale), stepSizes.slice(start, end), batch);
                });
              });
              tf.dispose(grads);
              totals = accumulateAll(totals, weighted);
            } finally {
              tf.dispose([...outward.gradients.values(), ...outward.activations.values()]);
            }
          },
        );
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
