import type * as tf from '@tensorflow/tfjs-core';
import type {
  AttributionInputs,
  Baselines as CoreBaselines,
  Disposable,
  ProgressCallback,
  Target,
} from '@attrib/core';

/**
 * What every attribution method returns: attributions in the structure of the inputs (a tensor, an
 * array, a record by input name), `delta` where the method has a convergence delta, and `dispose()`,
 * which frees all of it.
 */
export interface AttributionResult<A = tf.Tensor> extends Disposable {
  readonly attributions: A;
  readonly delta?: tf.Tensor;
}

/** Options that ask for the convergence delta: with them, a method's result types `delta` as present. */
export interface DeltaRequested {
  readonly returnConvergenceDelta: true;
}

/** `R` with its `delta` present (what a method returns when called with `returnConvergenceDelta: true`). */
export type WithDelta<R extends { readonly delta?: unknown }> = R & {
  readonly delta: NonNullable<R['delta']>;
};

/** Baselines per explained input: a number, a tensor, a list, or a record by input name. */
export type Baselines = CoreBaselines;

export interface InputsOptions {
  /**
   * Graph inputs that are not explained (masks, a second sentence's ids, per-sample constants): a record
   * by input name, or a tensor / list for the last graph inputs. Fixed along paths, tiled with the batch.
   */
  readonly additionalInputs?: AttributionInputs;
}

export interface TargetOptions extends InputsOptions {
  /** Which output to explain; required when the output has more than one column. */
  readonly target?: Target;
}

export interface ProgressOptions {
  /** Called after each pass with rows evaluated so far (one row = one sample through one pass). */
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
export interface LayerAttributionResult<L extends LayerSelection> extends Disposable {
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
   * Rows (samples × path points) per forward/backward pass, as Captum counts them. When absent, the
   * rows that fit core's memory budget (`setMemoryBudget`, or `memoryBudget` for this call). Must be
   * at least the batch size.
   */
  readonly internalBatchSize?: number;
  /** Bytes of tensors one pass may hold, for this call (default: core's `getMemoryBudget()`). */
  readonly memoryBudget?: number;
}

/** Option keys each family of methods takes: what `checkOptions` accepts (anything else is a typo). */
export const keys = {
  target: ['target', 'additionalInputs'],
  path: ['baselines', 'nSteps', 'method', 'internalBatchSize', 'memoryBudget', 'onProgress'],
  layer: ['layer', 'attributeToLayerInput'],
  neuron: ['layer', 'neuron', 'attributeToNeuronInput'],
  delta: ['returnConvergenceDelta'],
} as const;
