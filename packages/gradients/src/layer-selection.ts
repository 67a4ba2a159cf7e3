import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, resolveTensorRef, tensorRefKey, type Graph, type TensorRef } from '@attrib/core';
import type { LayerSelection, PerLayer } from './types.js';

export interface ResolvedLayer {
  /** The node name as the caller gave it (the key of a record result). */
  readonly layer: string;
  readonly ref: TensorRef;
  /** `tensorRefKey(ref)`: the key of core's gradient maps. */
  readonly key: string;
  /** The graph value (node output or graph input) that the ref resolves to. */
  readonly value: string;
}

/** The tensor refs of `layer` (one name or several), checked against the graph. */
export function resolveLayers(
  model: Graph,
  layer: LayerSelection,
  attributeToLayerInput: boolean | undefined,
  fn: string,
): ResolvedLayer[] {
  const names =
    typeof layer === 'string' ? [layer] : Array.isArray(layer) ? (layer as readonly string[]) : undefined;
  if (!names || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw invalidArgument(fn, 'layer', 'a node name or a non-empty list of node names', layer);
  }
  return names.map((name) => {
    const ref: TensorRef = attributeToLayerInput ? { node: name, at: 'input' } : name;
    return { layer: name, ref, key: tensorRefKey(ref), value: resolveTensorRef(model, ref, fn) };
  });
}

/** One tensor for a single layer name, a record by name for a list. */
export function perLayer<L extends LayerSelection>(
  layer: L,
  layers: readonly ResolvedLayer[],
  pick: (layer: ResolvedLayer) => tf.Tensor,
): PerLayer<L> {
  if (typeof layer === 'string') return pick(layers[0]) as PerLayer<L>;
  return Object.fromEntries(layers.map((l) => [l.layer, pick(l)])) as PerLayer<L>;
}

/** What every layer method's options share: `attributeToLayerInput` must be a boolean. */
export const layerRules = { booleans: ['attributeToLayerInput'], required: 'layer' };

/** Every tensor of a per-layer result (one tensor, or a record's values). */
export function layerTensors(result: tf.Tensor | Record<string, tf.Tensor>): tf.Tensor[] {
  return result instanceof tf.Tensor ? [result] : Object.values(result);
}
