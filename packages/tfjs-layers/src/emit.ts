import * as tf from '@tensorflow/tfjs-core';
import { createModule, ModelImportError, type GraphNode } from '@attrib/core';

/** What one call of a Keras layer is translated from. */
export interface LayerCall {
  /** The node name of this call: the Keras layer name (prefixed inside nested models, `/call<k>` for k ≥ 1). */
  readonly name: string;
  readonly className: string;
  /** The layer's Keras config (snake_case keys, as in model.json). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The node names this call reads, in argument order. */
  readonly inputs: readonly string[];
  /** The per-call input shapes tfjs-layers inferred (batch axis first, null for free axes). */
  readonly inputShapes: readonly (readonly (number | null)[])[];
  /** A copy of the layer's weight called `key` (the last part of its name: `kernel`, `gamma`, …), or null. */
  weight(key: string): tf.Tensor | null;
}

/**
 * Collects graph nodes in topological order. Every node is created through core's `createModule`, so
 * the kinds' own validation names the node when a weight shape disagrees.
 */
export class Emitter {
  readonly nodes: GraphNode[] = [];

  add(
    name: string,
    kind: string,
    inputs: readonly string[],
    params: Readonly<Record<string, tf.Tensor | null>> = {},
    config: Readonly<Record<string, unknown>> = {},
  ): string {
    this.nodes.push({ name, module: createModule(kind, params, config, name), inputs });
    return name;
  }
}

export function unsupported(fn: string, layer: string, why: string): ModelImportError {
  return new ModelImportError('unsupported-op', `${fn}: layer '${layer}' cannot be imported: ${why}`);
}

export function malformed(fn: string, why: string): ModelImportError {
  return new ModelImportError('malformed-model', `${fn}: ${why}`);
}

/** A Keras int-or-tuple setting (`kernel_size: 3` or `[3, 3]`) as a tuple of `rank` numbers. */
export function tuple(value: unknown, rank: number, what: string, layer: string): number[] {
  const list = typeof value === 'number' ? Array<number>(rank).fill(value) : value;
  if (!Array.isArray(list) || list.length !== rank || list.some((v) => typeof v !== 'number')) {
    throw malformed(
      'importLayersModel',
      `layer '${layer}': '${what}' must be ${rank} numbers, got ${JSON.stringify(value)}`,
    );
  }
  return list as number[];
}

/** A scalar weight-free constant as a parameter tensor (kept by the graph like any weight). */
export function scalarParam(value: number): tf.Tensor {
  return tf.tensor1d([value]);
}
