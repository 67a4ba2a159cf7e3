import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph } from '@attrib/core';
import { layerGradients } from './layer-gradient-probes.js';
import { layerRules, perLayer, resolveLayers } from './layer-selection.js';
import { withInputs } from './method-inputs.js';
import {
  keys,
  type LayerAttributionResult,
  type LayerSelection,
  type LayerSelectionOptions,
  type TargetOptions,
} from './types.js';

export interface LayerGradientOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, TargetOptions {}

/** `∂f[t]/∂tensor` at the layer(s), from one batched forward and backward pass. */
export async function layerGradient<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerGradientOptions<L>,
): Promise<LayerAttributionResult<L>> {
  return layerGradientPass(model, inputs, options, 'layerGradient', false);
}

/** LayerGradientXActivation: `tensor · ∂f[t]/∂tensor` at the layer(s), one forward and backward pass. */
export async function layerGradientXActivation<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerGradientOptions<L>,
): Promise<LayerAttributionResult<L>> {
  return layerGradientPass(model, inputs, options, 'layerGradientXActivation', true);
}

function layerGradientPass<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerGradientOptions<L>,
  fn: string,
  times: boolean,
): LayerAttributionResult<L> {
  const o = checkOptions(fn, options, [...keys.layer, ...keys.target], layerRules);
  // The backward stops at the layer, so integer inputs below an embedding are fine.
  return withInputs(model, inputs, o, fn, 'values', (resolved) => {
    const layers = resolveLayers(model, o.layer, o.attributeToLayerInput, fn);
    const result = layerGradients(model, resolved.assemble(resolved.explained), layers, o.target, fn);
    try {
      return ownResult({
        attributions: perLayer(o.layer, layers, (l) => {
          const gradient = result.gradients.get(l.key)!;
          return times ? tf.mul(gradient, result.activations.get(l.key)!) : tf.clone(gradient);
        }),
      });
    } finally {
      tf.dispose([...result.gradients.values(), ...result.activations.values()]);
    }
  });
}
