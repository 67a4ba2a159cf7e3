import * as tf from '@tensorflow/tfjs-core';
import type { Graph } from '@attrib/core';
import { layerGradCam, upsampleNearest } from './grad-cam.js';
import { guidedBackprop } from './guided-backprop.js';
import type { AttributionResult, LayerOptions, TargetOptions } from './types.js';

export interface GuidedGradCamOptions extends LayerOptions, TargetOptions {}

/**
 * Guided Grad-CAM (Captum `GuidedGradCam`): guided backpropagation times the ReLU'd Grad-CAM map of
 * `layer`, upsampled (nearest) to the input's height and width and broadcast over its channels.
 */
export function guidedGradCam(model: Graph, inputs: tf.Tensor, options: GuidedGradCamOptions): AttributionResult {
  const cam = layerGradCam(model, inputs, { ...options, reluAttributions: true, attrDimSummation: true }).attributions;
  let guided: tf.Tensor | undefined;
  try {
    guided = guidedBackprop(model, inputs, { target: options.target }).attributions;
    const gb = guided;
    return { attributions: tf.tidy(() => tf.mul(gb, upsampleNearest(cam, inputs, 'guidedGradCam'))) };
  } finally {
    tf.dispose([cam, ...(guided ? [guided] : [])]);
  }
}
