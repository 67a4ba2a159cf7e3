import * as tf from '@tensorflow/tfjs-core';
import { gradients, invalidArgument, selectNeuron, tensorRefKey, type Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { checkBaseline, checkInput } from './approximation-input.js';
import { accumulate, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { layerGradients } from './layer-gradient-probes.js';
import { neuronTarget, type NeuronAttributionOptions } from './neuron-gradient-objective.js';
import type { AttributionResult, TargetOptions } from './types.js';

export interface NeuronConductanceOptions extends NeuronAttributionOptions, TargetOptions, PathOptions {}

/**
 * NeuronConductance (Dhamdhere et al.): the flow of `f[t]` through one neuron, per input feature:
 * `(x − b) · Σ_k s_k · ∂neuron/∂x(α_k) · ∂f[t]/∂neuron(α_k)`. Default: riemannTrapezoid, 50 steps
 * (Captum's). Each chunk of path points takes two backward passes (neuron, then target).
 */
export async function neuronConductance(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronConductanceOptions,
): Promise<AttributionResult> {
  const fn = 'neuronConductance';
  const input = checkInput(model, inputs, fn);
  const neuron = neuronTarget(model, options, fn);
  if (typeof options.neuron === 'function') {
    throw invalidArgument(
      fn,
      'neuron',
      'an index or an index tuple (∂f/∂neuron needs one unit of the layer)',
      options.neuron,
    );
  }
  const { alphas, stepSizes } = pathSchedule(options, fn, { fallback: 'riemannTrapezoid' });
  const batch = input.shape[0];
  const baseline = checkBaseline(options.baselines, input, fn);
  let total: tf.Tensor | undefined;
  try {
    await walkPath({ ...options, fn, input, baseline, alphas }, ({ start, end, points, target }) => {
      // The target's gradient at the neuron first: it validates the target before any input-gradient pass.
      const layer = {
        layer: options.layer,
        ref: neuron.ref,
        key: tensorRefKey(neuron.ref),
        value: neuron.value,
      };
      const outward = layerGradients(model, points, [layer], target, fn);
      try {
        const inward = gradients(model, points, { objective: neuron.objective, fn });
        const weighted = tf.tidy(() => {
          const throughNeuron = selectNeuron(outward.gradients.get(layer.key)!, options.neuron, fn);
          const [gradient] = inward.inputGradients;
          const scale = tf.reshape(throughNeuron, [
            gradient.shape[0],
            ...gradient.shape.slice(1).map(() => 1),
          ]);
          return sumSteps(tf.mul(gradient, scale), stepSizes.slice(start, end), batch);
        });
        tf.dispose([inward.output, inward.objective, ...inward.inputGradients]);
        total = accumulate(total, weighted);
      } finally {
        tf.dispose([...outward.gradients.values(), ...outward.activations.values()]);
      }
    });
    return { attributions: tf.tidy(() => tf.mul(tf.sub(input, baseline), total!)) };
  } finally {
    tf.dispose([baseline, ...(total ? [total] : [])]);
  }
}
