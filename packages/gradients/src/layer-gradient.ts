import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { checkInput } from './approximation-input.js';
import { layerGradients } from './layer-gradient-probes.js';
import { perLayer, resolveLayers } from './layer-selection.js';
import type {
  LayerAttributionResult,
  LayerSelection,
  LayerSelectionOptions,
  TargetOptions,
} from './types.js';

export interface LayerGradientOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, TargetOptions {}

/** `∂f[t]/∂tensor` at the layer(s), from one batched forward and backward pass. */
export async function layerGradient<L extends LayerSelection>(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerGradientOptions<L>,
): Promise<LayerAttributionResult<L>> {
  return layerGradientPass(model, inputs, options, 'layerGradient', false);
}

/** LayerGradientXActivation: `tensor · ∂f[t]/∂tensor` at the layer(s), one forward and backward pass. */
export async function layerGradientXActivation<L extends LayerSelection>(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerGradientOptions<L>,
): Promise<LayerAttributionResult<L>> {
  return layerGradientPass(model, inputs, options, 'layerGradientXActivation', true);
}

function layerGradientPass<L extends LayerSelection>(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerGradientOptions<L>,
  fn: string,
  times: boolean,
): LayerAttributionResult<L> {
  const input = checkInput(model, inputs, fn);
  const layers = resolveLayers(model, options?.layer, options?.attributeToLayerInput, fn);
  const result = layerGradients(model, input, layers, options.target, fn);
  try {
    return {
      attributions: perLayer(options.layer, layers, (l) => {
        const gradient = result.gradients.get(l.key)!;
        return times ? tf.mul(gradient, result.activations.get(l.key)!) : tf.clone(gradient);
      }),
    };
  } finally {
    tf.dispose([...result.gradients.values(), ...result.activations.values()]);
  }
}
