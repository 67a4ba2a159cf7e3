import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { gradCamMap, upsampleNearest } from './grad-cam.js';
import { atEveryRelu } from './relu-rules.js';
import { ruleInputGradient } from './relu-rules-walk.js';
import type { AttributionResult, LayerOptions, TargetOptions } from './types.js';

export interface GuidedGradCamOptions extends LayerOptions, TargetOptions {}

/**
 * Guided Grad-CAM (Captum `GuidedGradCam`): guided backpropagation times the ReLU'd Grad-CAM map of
 * `layer`, upsampled (nearest) to the input's height and width and broadcast over its channels.
 */
export function guidedGradCam(
  model: Graph,
  inputs: tf.Tensor,
  options: GuidedGradCamOptions,
): AttributionResult {
  const fn = 'guidedGradCam';
  const cam = gradCamMap(
    model,
    inputs,
    { ...options, reluAttributions: true, attrDimSummation: true },
    fn,
  ).attributions;
  let guided: tf.Tensor | undefined;
  try {
    guided = ruleInputGradient(
      model,
      inputs,
      atEveryRelu('guidedBackprop', fn),
      { target: options.target },
      fn,
    );
    const gb = guided;
    return { attributions: tf.tidy(() => tf.mul(gb, upsampleNearest(cam, inputs, fn))) };
  } finally {
    tf.dispose([cam, ...(guided ? [guided] : [])]);
  }
}
