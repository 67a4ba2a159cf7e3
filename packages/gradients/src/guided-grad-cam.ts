import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, ownResult, type AttributionInputs, type Graph, type PerInput } from '@attrib/core';
import { gradCamMap, upsampleNearest } from './grad-cam.js';
import { layerRules } from './layer-selection.js';
import { withInputs } from './method-inputs.js';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient } from './relu-rules-walk.js';
import { keys, type AttributionResult, type LayerOptions, type TargetOptions } from './types.js';

export interface GuidedGradCamOptions extends LayerOptions, TargetOptions {}

/**
 * Guided Grad-CAM (Captum `GuidedGradCam`): guided backpropagation times the ReLU'd Grad-CAM map of
 * `layer`, upsampled (nearest) to each input's height and width and broadcast over its channels.
 */
export function guidedGradCam<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: GuidedGradCamOptions,
): AttributionResult<PerInput<I>> {
  const fn = 'guidedGradCam';
  const o = checkOptions(fn, options, [...keys.layer, ...keys.target], layerRules);
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const cam = gradCamMap(model, resolved, { ...o, reluAttributions: true, attrDimSummation: true }, fn);
    let guided: tf.Tensor[] = [];
    try {
      guided = ruleInputGradient(
        model,
        resolved,
        atEveryRelu('guidedBackprop', fn),
        { target: o.target },
        fn,
      );
      const attributions = tf.tidy(() =>
        guided.map((gb, k) => tf.mul(gb, upsampleNearest(cam, resolved.explained[k], fn))),
      );
      return ownResult({ attributions: resolved.restore(attributions) });
    } finally {
      tf.dispose([cam, ...guided]);
    }
  });
}
