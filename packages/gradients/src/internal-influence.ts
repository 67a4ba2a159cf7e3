import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { accumulate, sumSteps, walkPath } from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { layerGradients } from './layer-gradient-probes.js';
import { layerRules, perLayer, resolveLayers } from './layer-selection.js';
import { withBaselines, withInputs } from './method-inputs.js';
import {
  keys,
  type LayerAttributionResult,
  type LayerSelection,
  type LayerSelectionOptions,
  type TargetOptions,
} from './types.js';

export interface InternalInfluenceOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, TargetOptions, PathOptions {}

/**
 * InternalInfluence (Leino et al.): `Σ_k s_k ∂f[t]/∂tensor` at the input-space path points
 * `b + α_k (x − b)`, integrated like IG but not multiplied by anything. All layers share the passes.
 */
export async function internalInfluence<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: InternalInfluenceOptions<L>,
): Promise<LayerAttributionResult<L>> {
  const fn = 'internalInfluence';
  const o = checkOptions(fn, options, [...keys.layer, ...keys.target, ...keys.path], layerRules);
  // The path runs in input space: integer inputs cannot be interpolated.
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const layers = resolveLayers(model, o.layer, o.attributeToLayerInput, fn);
    const { alphas, stepSizes } = pathSchedule(o, fn);
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      const totals = new Map<string, tf.Tensor>();
      try {
        await walkPath(
          { ...o, fn, model, inputs: resolved, baselines, alphas },
          ({ start, end, points, target }) => {
            const result = layerGradients(model, points, layers, target, fn);
            try {
              for (const l of layers)
                totals.set(
                  l.key,
                  accumulate(
                    totals.get(l.key),
                    sumSteps(result.gradients.get(l.key)!, stepSizes.slice(start, end), resolved.batch),
                  ),
                );
            } finally {
              tf.dispose([...result.gradients.values(), ...result.activations.values()]);
            }
          },
        );
        return ownResult({ attributions: perLayer(o.layer, layers, (l) => tf.clone(totals.get(l.key)!)) });
      } finally {
        tf.dispose([...totals.values()]);
      }
    });
  });
}
