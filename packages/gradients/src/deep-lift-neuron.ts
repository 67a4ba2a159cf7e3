import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, resolveBaseline, type Graph } from '@attrib/core';
import { checkDeepLiftOptions, deepLiftWalk } from './deep-lift-walk.js';
import { checkInputs, graphUpToNeuron, neuronSeed, type NeuronOptions } from './relu-rules-walk.js';
import type { AttributionResult, Baselines } from './types.js';

export interface NeuronDeepLiftOptions extends NeuronOptions {
  readonly baselines?: Baselines;
  readonly multiplyByInputs?: boolean;
  readonly eps?: number;
}

/**
 * DeepLift of one neuron of a layer (Captum `NeuronDeepLift`): the walk starts at the layer tensor,
 * seeded with the neuron in both halves of [x; b]. No convergence delta.
 */
export function neuronDeepLift(
  model: Graph,
  inputs: tf.Tensor,
  options: NeuronDeepLiftOptions,
): AttributionResult {
  const fn = 'neuronDeepLift';
  checkInputs(model, inputs, fn);
  checkDeepLiftOptions(options, fn);
  const graph = graphUpToNeuron(model, options, fn);
  const seed = neuronSeed(options.neuron, fn);
  const baseline = resolveBaseline(options.baselines, inputs, fn);
  try {
    assertFinite(baseline, fn, 'baselines');
    return tf.tidy(() => {
      const walk = deepLiftWalk(graph, inputs, baseline, { seed, eps: options.eps ?? 1e-10, fn });
      return {
        attributions:
          options.multiplyByInputs === false
            ? walk.inputMultipliers
            : tf.mul(tf.sub(inputs, baseline), walk.inputMultipliers),
      };
    });
  } finally {
    baseline.dispose();
  }
}
