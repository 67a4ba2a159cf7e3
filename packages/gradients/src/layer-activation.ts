import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph } from '@attrib/core';
import { withInputs } from './method-inputs.js';
import { layerRules, perLayer, resolveLayers } from './layer-selection.js';
import {
  keys,
  type InputsOptions,
  type LayerAttributionResult,
  type LayerSelection,
  type LayerSelectionOptions,
} from './types.js';

export interface LayerActivationOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, InputsOptions {}

/** The layer's output (or input) tensor; several layers come from one forward pass. */
export async function layerActivation<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerActivationOptions<L>,
): Promise<LayerAttributionResult<L>> {
  const fn = 'layerActivation';
  const o = checkOptions(fn, options, [...keys.layer, 'additionalInputs'], layerRules);
  // No gradient: integer inputs (token ids) are fine here.
  return withInputs(model, inputs, o, fn, 'values', (resolved) => {
    const layers = resolveLayers(model, o.layer, o.attributeToLayerInput, fn);
    const kept = tf.tidy(() => {
      const { values } = model.forward(resolved.assemble(resolved.explained), { fn });
      return layers.map((l) => tf.clone(values.get(l.value)!));
    });
    const byLayer = new Map(layers.map((l, i) => [l, kept[i]]));
    return ownResult({ attributions: perLayer(o.layer, layers, (l) => byLayer.get(l)!) });
  });
}
