import * as tf from '@tensorflow/tfjs-core';
import { createModule, getKind, type Graph, type GraphNode } from '@attrib/core';
import type { Canonizer } from './canonizer.js';

/**
 * Folds every per-channel normalisation (a kind declaring `channelAffine`: BatchNorm) that directly
 * follows a layer able to absorb it (a kind declaring `foldChannelAffine`: dense and conv layers), and
 * is that layer's only reader, into it: for BatchNorm `W' = W·γ/√(var+ε)` per output channel and
 * `b' = (b − mean)·γ/√(var+ε) + β`. The normalisation node stays, as an identity, so node names and
 * relevance maps keep their shape.
 */
export function mergeBatchNorm(): Canonizer {
  return {
    name: 'mergeBatchNorm',
    apply(graph: Graph): Graph {
      const replaced = new Map<string, GraphNode>();
      for (const node of graph.nodes) {
        const channelAffine = getKind(node.module.kind)?.behaviour?.channelAffine;
        if (!channelAffine) continue;
        const [source] = node.inputs;
        if (graph.isInput(source) || source === graph.output) continue;
        const layer = graph.node(source);
        const fold = getKind(layer.module.kind)?.behaviour?.foldChannelAffine;
        if (!fold || replaced.has(layer.name) || graph.consumers(layer.name).length !== 1) continue;
        const folded = tf.tidy(() =>
          fold(
            layer.module.params,
            layer.module.config,
            channelAffine(node.module.params, node.module.config),
          ),
        );
        replaced.set(layer.name, {
          ...layer,
          module: createModule(
            layer.module.kind,
            { ...layer.module.params, ...folded },
            layer.module.config,
            layer.name,
          ),
        });
        replaced.set(node.name, { ...node, module: createModule('identity', {}, {}, node.name) });
      }
      return graph.derive({ nodes: graph.nodes.map((n) => replaced.get(n.name) ?? n) });
    },
  };
}
