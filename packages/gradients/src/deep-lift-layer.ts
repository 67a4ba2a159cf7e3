import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  invalidArgument,
  ownResult,
  resolveBaselines,
  type AttributionInputs,
  type Graph,
} from '@attrib/core';
import {
  deepLiftBooleans,
  deepLiftKeys,
  deepLiftPass,
  stackedDelta,
  type DeepLiftOptions,
} from './deep-lift.js';
import { checkDeepLiftOptions, stackedTargetSeed } from './deep-lift-walk.js';
import { withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type DeltaRequested,
  type LayerOptions,
  type WithDelta,
} from './types.js';

export interface LayerDeepLiftOptions extends DeepLiftOptions, LayerOptions {}

/**
 * DeepLift attributed to a layer's output (or input) (Captum `LayerDeepLift`):
 * `(a(x) − a(b)) · multiplier at a`, with `delta = Σ attr − (f(x)[t] − f(b)[t])`.
 */
export function layerDeepLift(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerDeepLiftOptions & DeltaRequested,
): WithDelta<AttributionResult>;
export function layerDeepLift(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerDeepLiftOptions,
): AttributionResult;
export function layerDeepLift(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerDeepLiftOptions,
): AttributionResult {
  const fn = 'layerDeepLift';
  const o = checkOptions(fn, options, [...deepLiftKeys, ...keys.delta, ...keys.layer], {
    booleans: [...deepLiftBooleans, 'attributeToLayerInput'],
    required: 'layer',
  });
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    checkDeepLiftOptions(o, fn);
    if (typeof o.layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', o.layer);
    model.node(o.layer, fn);
    const baselines = resolveBaselines(o.baselines, resolved, fn);
    try {
      const { attributions, delta } = tf.tidy(() => {
        const walk = deepLiftPass(model, resolved, baselines, {
          seed: stackedTargetSeed(o.target, fn),
          eps: o.eps,
          layer: { name: o.layer, atInput: o.attributeToLayerInput === true },
          fn,
        });
        const attributions =
          o.multiplyByInputs === false
            ? walk.layerMultipliers!
            : tf.mul(walk.layerDelta!, walk.layerMultipliers!);
        return {
          attributions,
          delta: o.returnConvergenceDelta
            ? stackedDelta([attributions], walk.output, o.target, fn)
            : undefined,
        };
      });
      return ownResult({ attributions, ...(delta ? { delta } : {}) });
    } finally {
      tf.dispose(baselines);
    }
  });
}
