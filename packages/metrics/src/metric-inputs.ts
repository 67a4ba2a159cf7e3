import * as tf from '@tensorflow/tfjs-core';
import {
  checkFiniteTensor,
  createScorer,
  invalidArgument,
  parseFeatureMask,
  resolveBaselines,
  resolveModelInputs,
  shapeMismatch,
  type AttributionInputs,
  type Baselines,
  type FeatureMask,
  type FeatureMaskInput,
  type Graph,
  type ResolvedInputs,
  type Scorer,
  type Target,
} from '@attrib/core';

/** What every model-based input metric reads; all of it from core's mechanisms. */
export interface InputMetric {
  readonly inputs: ResolvedInputs<unknown>;
  readonly scorer: Scorer;
  /** The attributions, one per explained input, checked against the inputs' shapes and finite. */
  readonly attributions: readonly tf.Tensor[];
  readonly shapes: readonly (readonly number[])[];
  readonly baselines: readonly tf.Tensor[];
  readonly mask?: FeatureMask;
  dispose(): void;
}

export interface InputMetricOptions {
  readonly attributions?: AttributionInputs;
  readonly target?: Target;
  readonly baselines?: Baselines | null;
  readonly featureMask?: FeatureMaskInput;
  readonly additionalInputs?: AttributionInputs | null;
  /** Bytes one pass may hold when `perturbationsPerEval` is not given (default: core's `getMemoryBudget()`). */
  readonly memoryBudget?: number;
}

/** Attributions in the structure of the inputs (a tensor, a list, a record by name), as a list. */
export function checkAttributions(inputs: ResolvedInputs<unknown>, value: unknown, fn: string): tf.Tensor[] {
  const { names, explained } = inputs;
  let list: unknown[];
  if (value instanceof tf.Tensor && names.length === 1) list = [value];
  else if (Array.isArray(value) && value.length === names.length) list = value;
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    list = names.map((n) => record[n]);
  } else {
    throw invalidArgument(
      fn,
      'attributions',
      names.length === 1
        ? 'a tensor of the input’s shape'
        : `one tensor per explained input (${names.join(', ')})`,
      value,
    );
  }
  return list.map((a, k) => {
    const argument = names.length === 1 ? 'attributions' : `attributions[${k}]`;
    if (!(a instanceof tf.Tensor)) throw invalidArgument(fn, argument, 'a tensor', a);
    if (a.isDisposed)
      throw invalidArgument(fn, argument, 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    if (a.shape.join() !== explained[k].shape.join())
      throw shapeMismatch(fn, argument, `[${explained[k].shape}] (the input's)`, a.shape);
    checkFiniteTensor(a, fn, argument);
    return a;
  });
}

/**
 * Resolves the inputs (and fixed inputs), the attributions, the target, the baselines and the feature
 * mask with core's mechanisms; `dispose()` frees what was made (never the caller's tensors).
 */
export function inputMetric(
  model: Graph,
  rawInputs: AttributionInputs,
  options: InputMetricOptions,
  fn: string,
  needs: { readonly attributions?: boolean; readonly mask?: boolean } = {},
): InputMetric {
  const inputs = resolveModelInputs(model, rawInputs, { fn, additionalInputs: options.additionalInputs });
  let baselines: tf.Tensor[] = [];
  let mask: FeatureMask | undefined;
  try {
    const attributions =
      needs.attributions === false ? [] : checkAttributions(inputs, options.attributions, fn);
    const scorer = createScorer(model, inputs, { fn, target: options.target });
    const shapes = inputs.explained.map((x) => x.shape);
    baselines = resolveBaselines(options.baselines, inputs, fn);
    if (needs.mask) mask = parseFeatureMask(options.featureMask, shapes, fn, 'featureMask', inputs.names);
    return {
      inputs,
      scorer,
      attributions,
      shapes,
      baselines,
      mask,
      dispose() {
        tf.dispose(baselines);
        mask?.dispose();
        inputs.dispose();
      },
    };
  } catch (error) {
    tf.dispose(baselines);
    mask?.dispose();
    inputs.dispose();
    throw error;
  }
}
