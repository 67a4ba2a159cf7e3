import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch, type ForwardHook, type Graph } from '@attrib/core';

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
export function knockoutHook(options: KnockoutHookOptions): ForwardHook {
  const { node, keep } = options;
  const at = options.at ?? 'output';
  if (at !== 'output' && at !== 'input')
    throw invalidArgument('knockoutHook', 'at', "'output' or 'input'", at);
  if (!(keep instanceof tf.Tensor))
    throw invalidArgument('knockoutHook', 'keep', 'a tensor of 0/1 values', keep);
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
  /** Model inputs whose mean activation replaces the units (mode 'mean'). */
  readonly reference?: tf.Tensor;
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
export function neuronKnockout(graph: Graph, options: NeuronKnockoutOptions): NeuronKnockout {
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
  if (mode === 'mean' && !(options.reference instanceof tf.Tensor)) {
    throw invalidArgument(FN, 'reference', "a tensor of model inputs when mode is 'mean'", options.reference);
  }
  if (mode === 'value' && typeof options.value !== 'number' && !(options.value instanceof tf.Tensor)) {
    throw invalidArgument(FN, 'value', "a number or a tensor when mode is 'value'", options.value);
  }

  // The mean is computed eagerly (it needs a forward pass); it also tells the unit shape.
  let meanActivation: tf.Tensor | undefined;
  if (mode === 'mean') {
    meanActivation = tf.tidy(() => {
      const result = graph.forward(options.reference!, { fn: FN });
      const tensor = at === 'input' ? result.nodeInputs.get(node.name)![0] : result.values.get(node.name)!;
      return tf.mean(tensor, 0, true);
    });
  }

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
    const keepData = new Float32Array(size).fill(1);
    for (const unit of units) keepData[unit] = 0;
    const keep = tf.keep(tf.tensor(keepData, [1, ...unitShape]));
    let replacement: tf.Tensor | number = 0;
    if (mode === 'mean') replacement = meanActivation!;
    else if (mode === 'value') {
      const value = options.value!;
      if (typeof value === 'number') replacement = value;
      else {
        const fits =
          value.shape.join() === unitShape.join() || value.shape.join() === [1, ...unitShape].join();
        if (!fits) {
          tf.dispose(keep);
          throw shapeMismatch(
            FN,
            'value',
            `[${unitShape}] or [1, ${unitShape}] (the unit shape of '${node.name}')`,
            value.shape,
          );
        }
        replacement = tf.keep(tf.reshape(value, [1, ...unitShape]));
      }
    }
    const entry = { keep, replacement };
    cache.set(key, entry);
    return entry;
  };
  if (meanActivation) build(meanActivation.shape.slice(1));

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
        if (replacement instanceof tf.Tensor && replacement !== meanActivation) tf.dispose(replacement);
      }
      cache.clear();
      if (meanActivation) tf.dispose(meanActivation);
      meanActivation = undefined;
    },
  };
}
