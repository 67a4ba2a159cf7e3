import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from './errors.js';
import type { Graph } from './graph.js';
import { checkFiniteTensor, resolveInputs, type AttributionInputs } from './inputs.js';

/** What an ablated unit of a node tensor becomes: 0, its mean over reference inputs, or given values. */
export type AblationMode = 'zero' | 'mean' | 'value';

export interface AblationSpec {
  /** The node whose tensor is ablated: its output, or (`at: 'input'`) the tensor entering it. */
  readonly node: string;
  readonly at?: 'output' | 'input';
  readonly mode?: AblationMode;
  /** Model inputs whose mean node tensor replaces ablated units (mode 'mean'). */
  readonly reference?: AttributionInputs;
  /** Replacement for mode 'value': a finite number, or a tensor of the unit shape (or [1, ...unit]). */
  readonly value?: number | tf.Tensor;
}

/**
 * The replacement for ablated units of `spec.node` (flat NHWC units of the tensor after the batch axis):
 * a number, or an owned tensor [1, ...unit] the caller disposes. `unitShape` is needed for mode
 * 'value' with a tensor (to check it); mode 'mean' runs the reference inputs through the graph once
 * and returns their mean, whose shape also tells the unit shape.
 */
export function ablationReplacement(
  graph: Graph,
  spec: AblationSpec,
  fn: string,
  unitShape?: readonly number[],
): number | tf.Tensor {
  const at = spec.at ?? 'output';
  if (at !== 'output' && at !== 'input') throw invalidArgument(fn, 'at', "'output' or 'input'", at);
  const node = graph.node(spec.node, fn);
  const mode = spec.mode ?? 'zero';
  if (mode === 'zero') return 0;
  if (mode === 'mean') {
    if (spec.reference === undefined || spec.reference === null)
      throw invalidArgument(fn, 'reference', "model inputs when mode is 'mean'", spec.reference);
    const reference = resolveInputs(graph, spec.reference, { fn });
    try {
      return tf.tidy(() => {
        const result = graph.forward(reference.assemble(reference.explained), { fn });
        const tensor = at === 'input' ? result.nodeInputs.get(node.name)![0] : result.values.get(node.name)!;
        return tf.mean(tensor, 0, true);
      });
    } finally {
      reference.dispose();
    }
  }
  if (mode !== 'value') throw invalidArgument(fn, 'mode', "'zero', 'mean' or 'value'", mode);
  const { value } = spec;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw invalidArgument(fn, 'value', 'a finite number', value, 'non-finite-input');
    return value;
  }
  if (!(value instanceof tf.Tensor))
    throw invalidArgument(fn, 'value', "a finite number or a tensor when mode is 'value'", value);
  if (value.isDisposed)
    throw invalidArgument(fn, 'value', 'a live tensor', 'a disposed tensor', 'disposed-tensor');
  checkFiniteTensor(value, fn, 'value');
  if (!unitShape) throw invalidArgument(fn, 'value', 'a number until the unit shape is known', value);
  const fits = value.shape.join() === unitShape.join() || value.shape.join() === [1, ...unitShape].join();
  if (!fits)
    throw shapeMismatch(
      fn,
      'value',
      `[${unitShape}] or [1, ${unitShape}] (the unit shape of '${node.name}')`,
      value.shape,
    );
  return tf.reshape(value, [1, ...unitShape]);
}
