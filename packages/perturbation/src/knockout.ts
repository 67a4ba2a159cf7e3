import * as tf from '@tensorflow/tfjs-core';
import type { AttributionInputs } from '@attrib/core';
import {
  Graph,
  ablationReplacement,
  checkOptions,
  invalidArgument,
  shapeMismatch,
  type ForwardHook,
} from '@attrib/core';

export interface KnockoutHookOptions {
  readonly node: string;
  /** `output` (default): the node's result; `input`: the tensor entering the node (its first input). */
  readonly at?: 'output' | 'input';
  /** 1 keeps a unit, 0 replaces it; broadcast against the node tensor. */
  readonly keep: tf.Tensor;
  /** What replaced units become (default 0); broadcast against the node tensor. */
  readonly replacement?: tf.Tensor | number;
  readonly name?: string;
}

/**
 * Replaces units of a node's tensor: out·keep + replacement·(1 − keep). keep/replacement broadcast
 * against the node tensor [N, ...unit] ([1, ...unit] for all samples, [N, ...unit] for per-sample
 * masks). The hook does not own `keep` or `replacement`: the caller disposes them.
 */
export function knockoutHook(rawOptions: KnockoutHookOptions): ForwardHook {
  const options = checkOptions('knockoutHook', rawOptions, ['node', 'at', 'keep', 'replacement', 'name']);
  const { node, keep } = options;
  if (typeof node !== 'string') throw invalidArgument('knockoutHook', 'node', 'a node name', node);
  const at = options.at ?? 'output';
  if (at !== 'output' && at !== 'input')
    throw invalidArgument('knockoutHook', 'at', "'output' or 'input'", at);
  if (!(keep instanceof tf.Tensor) || keep.isDisposed)
    throw invalidArgument('knockoutHook', 'keep', 'a live tensor of 0/1 values', keep);
  const replacement = options.replacement ?? 0;
  const name = options.name ?? `knockout(${node}:${at})`;
  // A linear blend rather than tf.where keeps the hook differentiable and lets keep be fractional.
  const apply = (value: tf.Tensor): tf.Tensor => {
    const fits = keep.rank === value.rank && keep.shape.every((d, i) => d === 1 || d === value.shape[i]);
    if (!fits)
      throw shapeMismatch(name, 'keep', `broadcastable to the node tensor [${value.shape}]`, keep.shape);
    const kept = tf.mul(value, keep);
    if (replacement === 0) return kept;
    return tf.add(kept, tf.mul(replacement, tf.sub(1, keep)));
  };
  if (at === 'input') {
    return { name, node, before: ({ inputs }) => [apply(inputs[0]), ...inputs.slice(1)] };
  }
  return { name, node, after: ({ output }) => apply(output) };
}

export interface NeuronKnockoutOptions {
  readonly node: string;
  readonly at?: 'output' | 'input';
  /** Flat NHWC indices into the non-batch axes of the node tensor. */
  readonly units: readonly number[] | Int32Array;
  /** zero (default), the mean over `reference` inputs, or `value`. */
  readonly mode?: 'zero' | 'mean' | 'value';
  /** Model inputs whose mean activation replaces the units (mode 'mean'): a tensor, list or record. */
  readonly reference?: AttributionInputs;
  /** Replacement for mode 'value': a number, or a tensor of the unit shape (or [1, ...unit]). */
  readonly value?: number | tf.Tensor;
}

export interface NeuronKnockout {
  readonly hook: ForwardHook;
  dispose(): void;
}

const FN = 'neuronKnockout';

/**
 * Ablates `units` (flat NHWC indices into the non-batch axes) by zero, by the mean over a reference
 * set of inputs, or by given values. dispose() frees the precomputed tensors.
 */
export function neuronKnockout(graph: Graph, rawOptions: NeuronKnockoutOptions): NeuronKnockout {
  if (!(graph instanceof Graph)) throw invalidArgument(FN, 'graph', 'a Graph', graph);
  const options = checkOptions(FN, rawOptions, ['node', 'at', 'units', 'mode', 'reference', 'value']);
  const at = options.at ?? 'output';
  const mode = options.mode ?? 'zero';
  const node = graph.node(options.node, FN);
  if (at !== 'output' && at !== 'input') throw invalidArgument(FN, 'at', "'output' or 'input'", at);
  if (mode !== 'zero' && mode !== 'mean' && mode !== 'value')
    throw invalidArgument(FN, 'mode', "'zero', 'mean' or 'value'", mode);
  const units = Array.from(options.units ?? []);
  if (!Array.isArray(options.units) && !(options.units instanceof Int32Array)) {
    throw invalidArgument(FN, 'units', 'an array of flat unit indices', options.units);
  }
  for (const unit of units) {
    if (!Number.isInteger(unit) || unit < 0)
      throw invalidArgument(FN, 'units', 'non-negative integer indices', units);
  }
  // Core's ablation by zero / mean / value: the mean runs the reference inputs once, here; a value
  // tensor is checked against the unit shape, known at the first run.
  const spec = { node: node.name, at, mode, reference: options.reference, value: options.value };
  const deferred = mode === 'value' && options.value instanceof tf.Tensor;
  let eager: number | tf.Tensor | undefined = deferred ? undefined : ablationReplacement(graph, spec, FN);
  if (eager instanceof tf.Tensor) eager = tf.keep(eager);

  // keep and replacement depend only on the unit shape, known at the first run unless the mean told it.
  const cache = new Map<string, { keep: tf.Tensor; replacement: tf.Tensor | number }>();
  const build = (unitShape: readonly number[]) => {
    const key = unitShape.join(',');
    const cached = cache.get(key);
    if (cached) return cached;
    const size = unitShape.reduce((a, b) => a * b, 1);
    for (const unit of units) {
      if (unit >= size)
        throw invalidArgument(
          FN,
          'units',
          `flat indices in [0, ${size}) for node '${node.name}' of unit shape [${unitShape}]`,
          unit,
        );
    }
    const replacement = eager ?? tf.keep(ablationReplacement(graph, spec, FN, unitShape) as tf.Tensor);
    const keepData = new Float32Array(size).fill(1);
    for (const unit of units) keepData[unit] = 0;
    const entry = { keep: tf.keep(tf.tensor(keepData, [1, ...unitShape])), replacement };
    cache.set(key, entry);
    return entry;
  };
  if (eager instanceof tf.Tensor) build(eager.shape.slice(1));

  const name = `neuronKnockout(${node.name}:${at})`;
  const blend = (value: tf.Tensor): tf.Tensor => {
    const { keep, replacement } = build(value.shape.slice(1));
    const inner = knockoutHook({ node: node.name, at: 'output', keep, replacement, name });
    return inner.after!({ node, inputs: [], output: value }) as tf.Tensor;
  };
  const hook: ForwardHook =
    at === 'input'
      ? { name, node: node.name, before: ({ inputs }) => [blend(inputs[0]), ...inputs.slice(1)] }
      : { name, node: node.name, after: ({ output }) => blend(output) };
  return {
    hook,
    dispose() {
      for (const { keep, replacement } of cache.values()) {
        tf.dispose(keep);
        if (replacement instanceof tf.Tensor && replacement !== eager) tf.dispose(replacement);
      }
      cache.clear();
      if (eager instanceof tf.Tensor) tf.dispose(eager);
      eager = undefined;
    },
  };
}
