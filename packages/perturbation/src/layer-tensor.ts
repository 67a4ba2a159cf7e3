import type * as tf from '@tensorflow/tfjs-core';
import { Graph, invalidArgument, type ForwardResult, type MaskedModel } from '@attrib/core';

/** Where a layer method looks: a node's output, or the tensor entering it (its first input). */
export interface LayerRef {
  readonly graph: Graph;
  readonly node: string;
  readonly at: 'output' | 'input';
}

export function layerRef(
  model: MaskedModel,
  layer: unknown,
  atInput: unknown,
  fn: string,
  inputFlag: string,
): LayerRef {
  if (!(model instanceof Graph))
    throw invalidArgument(fn, 'model', 'a Graph (layer methods need named nodes)', model);
  if (typeof layer !== 'string') throw invalidArgument(fn, 'layer', 'a node name', layer);
  if (atInput !== undefined && typeof atInput !== 'boolean')
    throw invalidArgument(fn, inputFlag, 'true or false', atInput);
  const node = model.node(layer, fn);
  return { graph: model, node: node.name, at: atInput ? 'input' : 'output' };
}

/** The layer tensor in a forward pass's tensors. */
export function layerValue(ref: LayerRef, result: Pick<ForwardResult, 'values' | 'nodeInputs'>): tf.Tensor {
  return ref.at === 'input' ? result.nodeInputs.get(ref.node)![0] : result.values.get(ref.node)!;
}
