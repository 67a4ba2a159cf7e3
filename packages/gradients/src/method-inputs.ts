import * as tf from '@tensorflow/tfjs-core';
import {
  gradients,
  guardEngine,
  guardEngineAsync,
  resolveBaselines,
  resolveInputs,
  type AttributionInputs,
  type Baselines,
  type Graph,
  type ObjectiveContext,
  type ResolvedInputs,
  type Target,
} from '@attrib/core';

/**
 * The gradient of the target (or of `objective`) with respect to the explained inputs, one batched
 * pass over the full graph-input list `xs` (fixed inputs are not differentiated). Caller owns them.
 */
export function explainedGradients(
  model: Graph,
  xs: readonly tf.Tensor[],
  inputs: ResolvedInputs<unknown>,
  seed: { target?: Target; objective?: (context: ObjectiveContext) => tf.Tensor },
  fn: string,
): tf.Tensor[] {
  const result = gradients(model, [...xs], { ...seed, wrt: inputs.names, fn });
  tf.dispose([result.output, result.objective]);
  return result.inputGradients;
}

/**
 * Resolves and checks `inputs` (and `additionalInputs`) with core's `resolveInputs`, runs `body`, and
 * frees what resolving made, after a returned promise settles too. A failure inside leaves tfjs as it
 * was (core's `guardEngine`).
 */
export function withInputs<I extends AttributionInputs, R>(
  model: Graph,
  inputs: I,
  options: { readonly additionalInputs?: AttributionInputs },
  fn: string,
  needs: 'gradient' | 'values',
  body: (inputs: ResolvedInputs<I>) => R,
): R {
  return guardEngine(() => {
    const resolved = resolveInputs(model, inputs, { fn, additionalInputs: options.additionalInputs, needs });
    let result: R;
    try {
      result = body(resolved);
    } catch (error) {
      resolved.dispose();
      throw error;
    }
    if (!(result instanceof Promise)) {
      resolved.dispose();
      return result;
    }
    return guardEngineAsync(() => result.finally(() => resolved.dispose())) as R;
  });
}

/** `resolveBaselines` for `inputs`, and `body` with them; the baselines are freed afterwards. */
export async function withBaselines<R>(
  baselines: Baselines | null | undefined,
  inputs: ResolvedInputs<unknown>,
  fn: string,
  body: (baselines: tf.Tensor[]) => Promise<R>,
): Promise<R> {
  const resolved = resolveBaselines(baselines, inputs, fn);
  try {
    return await body(resolved);
  } finally {
    tf.dispose(resolved);
  }
}

/** From a per-graph-input list (a reverse walk's input gradients), the explained inputs' entries. */
export function explainedOf<T>(model: Graph, inputs: ResolvedInputs<unknown>, all: readonly T[]): T[] {
  return inputs.names.map((name) => all[model.inputs.findIndex((i) => i.name === name)]);
}
