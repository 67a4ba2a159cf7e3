import * as tf from '@tensorflow/tfjs-core';
import { gradients, invalidArgument, type Graph } from '@attrib/core';
import { checkInputs } from './relu-rules-walk.js';
import type { AttributionResult, LayerOptions, TargetOptions } from './types.js';

export interface LayerGradCamOptions extends LayerOptions, TargetOptions {
  /** Apply a ReLU to the map (default false, as Captum). */
  readonly reluAttributions?: boolean;
  /** Sum the weighted channels into one map (default true); false keeps one map per channel. */
  readonly attrDimSummation?: boolean;
  /** Resize the map to the input's height and width (nearest neighbour); off by default, as Captum. */
  readonly upsampleToInput?: boolean;
}

/** Nearest-neighbour resize of an [N,h,w,C] map to the input's [H,W] (Captum `interpolate`, 'nearest'). */
export function upsampleNearest(map: tf.Tensor, input: tf.Tensor, fn: string): tf.Tensor {
  if (map.rank !== 4 || input.rank !== 4) {
    throw invalidArgument(
      fn,
      'upsampleToInput',
      'used with an image input and a conv-map layer ([N,H,W,C])',
      `a layer of rank ${map.rank}`,
    );
  }
  return tf.image.resizeNearestNeighbor(map as tf.Tensor4D, [input.shape[1]!, input.shape[2]!]);
}

/**
 * Grad-CAM (Selvaraju et al.; Captum `LayerGradCam`): channel weights = spatial mean of the target's
 * gradient at the layer, map = Σ_c weight·activation. NHWC, so the result is [N,H,W,1]. Batched.
 */
export function layerGradCam(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerGradCamOptions,
): AttributionResult {
  return gradCamMap(model, inputs, options, 'layerGradCam');
}

/** Grad-CAM under the name of the calling method (for its error messages). */
export function gradCamMap(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerGradCamOptions,
  fn: string,
): AttributionResult {
  checkInputs(model, inputs, fn);
  if (options === null || typeof options !== 'object' || typeof options.layer !== 'string') {
    throw invalidArgument(fn, 'layer', 'a node name', options?.layer);
  }
  const ref = {
    node: options.layer,
    at: options.attributeToLayerInput ? ('input' as const) : ('output' as const),
  };
  const result = gradients(model, inputs, { target: options.target, tensors: [ref], fn });
  try {
    return {
      attributions: tf.tidy(() => {
        const key = options.attributeToLayerInput ? `${options.layer}:input` : options.layer;
        const gradient = result.tensorGradients.get(key)!;
        const activation = result.activations.get(key)!;
        // Spatial axes are those between the batch and the channel (last) axis; a dense layer has none.
        const spatial = Array.from({ length: Math.max(gradient.rank - 2, 0) }, (_, i) => i + 1);
        const weights = spatial.length ? tf.mean(gradient, spatial, true) : gradient;
        let map = tf.mul(weights, activation);
        if (options.attrDimSummation !== false) map = tf.sum(map, -1, true);
        if (options.reluAttributions) map = tf.relu(map);
        return options.upsampleToInput ? upsampleNearest(map, inputs, fn) : map;
      }),
    };
  } finally {
    tf.dispose([
      result.output,
      result.objective,
      ...result.inputGradients,
      ...result.tensorGradients.values(),
      ...result.activations.values(),
    ]);
  }
}
