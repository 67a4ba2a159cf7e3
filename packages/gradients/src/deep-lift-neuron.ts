import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  ownResult,
  resolveBaselines,
  type AttributionInputs,
  type Graph,
  type PerInput,
} from '@attrib/core';
import { deepLiftPass } from './deep-lift.js';
import { checkDeepLiftOptions } from './deep-lift-walk.js';
import { withInputs } from './method-inputs.js';
import { neuronRules } from './neuron-gradient-objective.js';
import { graphUpToNeuron, neuronSeed, type NeuronOptions } from './relu-rules-walk.js';
import { keys, type AttributionResult, type Baselines, type InputsOptions } from './types.js';

export interface NeuronDeepLiftOptions extends NeuronOptions, InputsOptions {
  readonly baselines?: Baselines;
  readonly multiplyByInputs?: boolean;
  readonly eps?: number;
}

/**
 * DeepLift of one neuron of a layer (Captum `NeuronDeepLift`): the walk starts at the layer tensor,
 * seeded with the neuron in both halves of [x; b]. No convergence delta.
 */
export function neuronDeepLift<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: NeuronDeepLiftOptions,
): AttributionResult<PerInput<I>> {
  const fn = 'neuronDeepLift';
  const o = checkOptions(
    fn,
    options,
    [...keys.neuron, 'additionalInputs', 'baselines', 'multiplyByInputs', 'eps'],
    {
      ...neuronRules,
      booleans: [...neuronRules.booleans, 'multiplyByInputs'],
    },
  );
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    checkDeepLiftOptions(o, fn);
    const graph = graphUpToNeuron(model, o, fn);
    const seed = neuronSeed(o.neuron, fn);
    const baselines = resolveBaselines(o.baselines, resolved, fn);
    try {
      const attributions = tf.tidy(() => {
        const walk = deepLiftPass(graph, resolved, baselines, { seed, eps: o.eps, fn });
        return o.multiplyByInputs === false
          ? walk.multipliers
          : walk.multipliers.map((m, k) => tf.mul(tf.sub(resolved.explained[k], baselines[k]), m));
      });
      return ownResult({ attributions: resolved.restore(attributions) });
    } finally {
      tf.dispose(baselines);
    }
  });
}
