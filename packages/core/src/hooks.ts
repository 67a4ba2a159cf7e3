import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from './graph.js';

export interface HookContext {
  readonly node: GraphNode;
  readonly inputs: readonly tf.Tensor[];
}

/**
 * Observes or replaces what flows through one node during a forward pass.
 * - `before` may return replacement inputs;
 * - `around` wraps the computation (`compute` runs the node, optionally on other inputs or params),
 *   e.g. to attach a custom gradient;
 * - `after` sees the output and may return a replacement (ablation, baselines, probes, capture).
 * Several hooks on one node run in order: every `before`, then `around`s nested (first outermost),
 * then every `after`.
 */
export interface ForwardHook {
  /** Shown in error messages when the hook throws. */
  readonly name?: string;
  readonly node: string;
  before?(context: HookContext): readonly tf.Tensor[] | void;
  around?(
    context: HookContext & {
      compute(inputs?: readonly tf.Tensor[], params?: Readonly<Record<string, tf.Tensor | null>>): tf.Tensor;
    },
  ): tf.Tensor;
  after?(context: HookContext & { readonly output: tf.Tensor }): tf.Tensor | void;
}

/** Removes what it was returned for; removing twice is harmless. Works with `using`. */
export interface HookHandle {
  remove(): void;
  [Symbol.dispose](): void;
}

export function makeHandle(remove: () => void): HookHandle {
  let removed = false;
  const once = () => {
    if (!removed) {
      removed = true;
      remove();
    }
  };
  return { remove: once, [Symbol.dispose]: once };
}
