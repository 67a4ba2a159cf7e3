import * as tf from '@tensorflow/tfjs-core';
import { assertFinite, invalidArgument, resolveBaseline, type Graph } from '@attrib/core';
import type { Baselines } from './types.js';

/** The model's single input tensor, checked for shape and finiteness. */
export function checkInput(model: Graph, inputs: tf.Tensor, fn: string): tf.Tensor {
  if (model.inputs.length !== 1) {
    throw invalidArgument(
      fn,
      'model',
      'a graph with one input (multi-input graphs are not supported by this method yet)',
      `${model.inputs.length} inputs`,
    );
  }
  const [input] = model.normalizeInputs(inputs, fn);
  assertFinite(input, fn, 'inputs');
  return input;
}

/** The baseline as an owned tensor of the input's shape, checked for finiteness. */
export function checkBaseline(
  baselines: Baselines | null | undefined,
  input: tf.Tensor,
  fn: string,
): tf.Tensor {
  const baseline = resolveBaseline(baselines, input, fn);
  try {
    assertFinite(baseline, fn, 'baselines');
  } catch (error) {
    baseline.dispose();
    throw error;
  }
  return baseline;
}
