import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { checkBaseline, checkInput } from './approximation-input.js';
import { accumulate, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { layerGradients } from './layer-gradient-probes.js';
import { perLayer, resolveLayers } from './layer-selection.js';
import type {
  LayerAttributionResult,
  LayerSelection,
  LayerSelectionOptions,
  TargetOptions,
} from './types.js';

export interface InternalInfluenceOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, TargetOptions, PathOptions {}

/**
 * InternalInfluence (Leino et al.): `Σ_k s_k ∂f[t]/∂tensor` at the input-space path points
 * `b + α_k (x − b)`, integrated like IG but not multiplied by anything. All layers share the passes.
 */
export async function internalInfluence<L extends LayerSelection>(
  model: Graph,
  inputs: tf.Tensor,
  options: InternalInfluenceOptions<L>,
): Promise<LayerAttributionResult<L>> {
  const fn = 'internalInfluence';
  const input = checkInput(model, inputs, fn);
  const layers = resolveLayers(model, options?.layer, options?.attributeToLayerInput, fn);
  const { alphas, stepSizes } = pathSchedule(options, fn);
  const batch = input.shape[0];
  const baseline = checkBaseline(options.baselines, input, fn);
  const totals = new Map<string, tf.Tensor>();
  try {
    await walkPath({ ...options, fn, input, baseline, alphas }, ({ start, end, points, target }) => {
      const result = layerGradients(model, points, layers, target, fn);
      try {
        for (const l of layers)
          totals.set(
            l.key,
            accumulate(
              totals.get(l.key),
              sumSteps(result.gradients.get(l.key)!, stepSizes.slice(start, end), batch),
            ),
          );
      } finally {
        tf.dispose([...result.gradients.values(), ...result.activations.values()]);
      }
    });
    return { attributions: perLayer(options.layer, layers, (l) => tf.clone(totals.get(l.key)!)) };
  } finally {
    tf.dispose([baseline, ...totals.values()]);
  }
}
