import type * as tf from '@tensorflow/tfjs-core';
import type { ProgressCallback, Target } from '@attrib/core';

/** What every attribution method returns; `delta` where the method has a convergence delta. */
export interface AttributionResult {
  readonly attributions: tf.Tensor;
  readonly delta?: tf.Tensor;
}

/** A reference input: a number (broadcast), or a tensor of the input's shape or of one sample's shape. */
export type Baselines = number | tf.Tensor;

export interface TargetOptions {
  /** Which output to explain; required when the output has more than one column. */
  readonly target?: Target;
}

export interface ProgressOptions {
  readonly onProgress?: ProgressCallback;
}

export interface LayerOptions {
  /** Node name whose output (or input, with `attributeToLayerInput`) is attributed. */
  readonly layer: string;
  readonly attributeToLayerInput?: boolean;
}
