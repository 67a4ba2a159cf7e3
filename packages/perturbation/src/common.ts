import type * as tf from '@tensorflow/tfjs-core';
import type { AttributionInputs, Disposable, ForwardHook, PerInput, ProgressCallback } from '@attrib/core';

/** Options every perturbation method takes. */
export interface PerturbationOptions {
  /**
   * Perturbed copies of the batch stacked into one forward pass; by default as many as core's memory
   * budget allows (1 for a forward function). Results do not depend on it.
   */
  readonly perturbationsPerEval?: number;
  /** Bytes one pass may hold when `perturbationsPerEval` is not given (default: core's `getMemoryBudget()`). */
  readonly memoryBudget?: number;
  /** Called after each pass with rows evaluated so far (one row = one sample through one forward). */
  readonly onProgress?: ProgressCallback;
  /** Forward hooks for every pass of this call (graph models only), e.g. a neuron knock-out. */
  readonly hooks?: readonly ForwardHook[];
  /**
   * Graph inputs that are not explained (a per-sample scale, an attention mask): a record by graph-input
   * name, or a tensor / list filling the last graph inputs. They stay fixed in every perturbation.
   */
  readonly additionalInputs?: AttributionInputs | null;
}

/** The option names of `PerturbationOptions`, for `checkOptions`. */
export const PERTURBATION_OPTIONS = [
  'perturbationsPerEval',
  'memoryBudget',
  'onProgress',
  'hooks',
  'additionalInputs',
] as const;

/** Attributions in the structure of the inputs (a tensor, a list, a record); `dispose()` frees them. */
export type AttributionResult<I extends AttributionInputs = tf.Tensor> = {
  readonly attributions: PerInput<I>;
} & Disposable;
