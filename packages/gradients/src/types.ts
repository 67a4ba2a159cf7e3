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

/** One layer (a node name), or several attributed in one pass (results keyed by name). */
export type LayerSelection = string | readonly string[];

/** A tensor for a single layer, a record by layer name for a list. */
export type PerLayer<L extends LayerSelection, T = tf.Tensor> = L extends string ? T : Record<string, T>;

/** What a layer method returns: one tensor per layer, and `delta` where the method has one. */
export interface LayerAttributionResult<L extends LayerSelection> {
  readonly attributions: PerLayer<L>;
  readonly delta?: PerLayer<L>;
}

export interface LayerSelectionOptions<L extends LayerSelection> {
  /** Node name(s) whose output (or input, with `attributeToLayerInput`) is attributed. */
  readonly layer: L;
  readonly attributeToLayerInput?: boolean;
}

export interface BatchingOptions extends ProgressOptions {
  /**
   * Rows (samples × path points) per forward/backward pass, as Captum counts them; all at once when
   * absent. Must be at least the batch size.
   */
  readonly internalBatchSize?: number;
}
