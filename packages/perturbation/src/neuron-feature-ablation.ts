import type * as tf from '@tensorflow/tfjs-core';
import { selectNeuron, type NeuronSelector } from '@attrib/core';
import { type AttributionResult } from './common.js';
import { withCoalitionGame, type CoalitionOptions } from './coalitions.js';
import { ablateEachGroup } from './feature-ablation.js';
import { layerRef, layerValue } from './layer-tensor.js';
import type { Model } from './model.js';

export interface NeuronFeatureAblationOptions extends Omit<CoalitionOptions, 'target'> {
  /** Node whose tensor holds the neuron. */
  readonly layer: string;
  /** Flat NHWC index, index tuple ([h, w, c] on a conv map) or a function of the layer tensor → [N]. */
  readonly neuronSelector: NeuronSelector;
  /** Take the neuron from the tensor entering `layer` instead of its output. */
  readonly attributeToNeuronInput?: boolean;
}

const FN = 'neuronFeatureAblation';

/** attr[i ∈ g] = neuron(x) − neuron(x with group g set to the baseline) (Captum NeuronFeatureAblation). */
export async function neuronFeatureAblation(
  model: Model,
  inputs: tf.Tensor,
  options: NeuronFeatureAblationOptions,
): Promise<AttributionResult> {
  const ref = layerRef(model, options?.layer, options?.attributeToNeuronInput, FN, 'attributeToNeuronInput');
  const { neuronSelector } = options;
  const objective = (context: Parameters<typeof layerValue>[1]) =>
    selectNeuron(layerValue(ref, context), neuronSelector, FN);
  return withCoalitionGame(
    model,
    inputs,
    options,
    FN,
    (game) => ablateEachGroup(game, inputs.shape),
    objective,
  );
}
