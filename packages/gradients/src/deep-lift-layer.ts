import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, invalidArgument, resolveBaseline, type Graph } from '@attrib/core';
import { convergenceDelta, type DeepLiftOptions } from './deep-lift.js';
import { checkDeepLiftOptions, deepLiftWalk, stackedTargetSeed } from './deep-lift-walk.js';
import { checkInputs } from './relu-rules-walk.js';
import type { AttributionResult, LayerOptions } from './types.js';

export interface LayerDeepLiftOptions extends DeepLiftOptions, LayerOptions {}

/**
 * DeepLift attributed to a layer's output (or input) (Captum `LayerDeepLift`):
 * `(a(x) − a(b)) · multiplier at a`, with `delta = Σ attr − (f(x)[t] − f(b)[t])`.
 */
export function layerDeepLift(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerDeepLiftOptions,
): AttributionResult {
  const fn = 'layerDeepLift';
  checkInputs(model, inputs, fn);
  checkDeepLiftOptions(options, fn);
  if (typeof options.layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', options.layer);
  model.node(options.layer, fn);
  const baseline = resolveBaseline(options.baselines, inputs, fn);
  try {
    assertFinite(baseline, fn, 'baselines');
    return tf.tidy(() => {
      const walk = deepLiftWalk(model, inputs, baseline, {
        seed: stackedTargetSeed(options.target, fn),
        eps: options.eps ?? 1e-10,
        layer: { name: options.layer, atInput: options.attributeToLayerInput === true },
        fn,
      });
      const attributions =
        options.multiplyByInputs === false
          ? walk.layerMultipliers!
          : tf.mul(walk.layerDelta!, walk.layerMultipliers!);
      if (!options.returnConvergenceDelta) return { attributions };
      return { attributions, delta: convergenceDelta(attributions, walk.output, options.target, fn) };
    });
  } finally {
    baseline.dispose();
  }
}
