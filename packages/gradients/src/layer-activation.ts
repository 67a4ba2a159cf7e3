import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { checkInput } from './approximation-input.js';
import { perLayer, resolveLayers } from './layer-selection.js';
import type { LayerAttributionResult, LayerSelection, LayerSelectionOptions } from './types.js';

export type LayerActivationOptions<L extends LayerSelection> = LayerSelectionOptions<L>;

/** The layer's output (or input) tensor; several layers come from one forward pass. */
export async function layerActivation<L extends LayerSelection>(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerActivationOptions<L>,
): Promise<LayerAttributionResult<L>> {
  const fn = 'layerActivation';
  const input = checkInput(model, inputs, fn);
  const layers = resolveLayers(model, options?.layer, options?.attributeToLayerInput, fn);
  const kept = tf.tidy(() => {
    const { values } = model.forward(input, { fn });
    return layers.map((l) => tf.clone(values.get(l.value)!));
  });
  const byKey = new Map(layers.map((l, i) => [l, kept[i]]));
  return { attributions: perLayer(options.layer, layers, (l) => byKey.get(l)!) };
}
