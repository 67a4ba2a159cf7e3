import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  gradients,
  invalidArgument,
  ownResult,
  tensorRefKey,
  type AttributionInputs,
  type Graph,
  type ResolvedInputs,
} from '@attrib/core';
import { withInputs } from './method-inputs.js';
import { keys, type AttributionResult, type LayerOptions, type TargetOptions } from './types.js';

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

const camKeys = [...keys.layer, ...keys.target, 'reluAttributions', 'attrDimSummation', 'upsampleToInput'];
const camRules = {
  booleans: ['attributeToLayerInput', 'reluAttributions', 'attrDimSummation', 'upsampleToInput'],
  required: 'layer',
};

/**
 * Grad-CAM (Selvaraju et al.; Captum `LayerGradCam`): channel weights = spatial mean of the target's
 * gradient at the layer, map = Σ_c weight·activation. NHWC, so the result is [N,H,W,1]. Batched.
 */
export function layerGradCam(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerGradCamOptions,
): AttributionResult {
  const fn = 'layerGradCam';
  const o = checkOptions(fn, options, camKeys, camRules);
  return withInputs(model, inputs, o, fn, 'values', (resolved) =>
    ownResult({ attributions: gradCamMap(model, resolved, o, fn) }),
  );
}

/** The Grad-CAM map for checked inputs, under the name of the calling method (for its error messages). */
export function gradCamMap(
  model: Graph,
  inputs: ResolvedInputs<unknown>,
  options: LayerGradCamOptions,
  fn: string,
): tf.Tensor {
  if (typeof options.layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', options.layer);
  const ref = {
    node: options.layer,
    at: options.attributeToLayerInput ? ('input' as const) : ('output' as const),
  };
  // The backward stops at the layer (no input gradient), so integer inputs below it are fine.
  const result = gradients(model, inputs.assemble(inputs.explained), {
    target: options.target,
    tensors: [ref],
    inputGradients: false,
    fn,
  });
  try {
    return tf.tidy(() => {
      const key = tensorRefKey(ref);
      const gradient = result.tensorGradients.get(key)!;
      const activation = result.activations.get(key)!;
      // Spatial axes are those between the batch and the channel (last) axis; a dense layer has none.
      const spatial = Array.from({ length: Math.max(gradient.rank - 2, 0) }, (_, i) => i + 1);
      const weights = spatial.length ? tf.mean(gradient, spatial, true) : gradient;
      let map = tf.mul(weights, activation);
      if (options.attrDimSummation !== false) map = tf.sum(map, -1, true);
      if (options.reluAttributions) map = tf.relu(map);
      if (!options.upsampleToInput) return map;
      const image = inputs.explained.find((x) => x.rank === 4) ?? inputs.explained[0];
      return upsampleNearest(map, image, fn);
    });
  } finally {
    tf.dispose([
      result.output,
      result.objective,
      ...result.tensorGradients.values(),
      ...result.activations.values(),
    ]);
  }
}
