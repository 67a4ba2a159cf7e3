import * as tf from '@tensorflow/tfjs-core';
import { createModule, getKind, type Graph, type GraphNode } from '@attrib/core';
import type { Canonizer } from './canonizer.js';

/**
 * Folds every BatchNorm that directly follows a linear or conv layer (and is that layer's only
 * reader) into it: `W' = W·γ/√(var+ε)` per output channel (the last weight axis), `b' = (b − mean)·γ/√(var+ε) + β`.
 * The BatchNorm node stays, as an identity, so node names and relevance maps keep their shape.
 */
export function mergeBatchNorm(): Canonizer {
  return {
    name: 'mergeBatchNorm',
    apply(graph: Graph): Graph {
      const replaced = new Map<string, GraphNode>();
      for (const node of graph.nodes) {
        if (node.module.kind !== 'batchnorm') continue;
        const [source] = node.inputs;
        if (graph.isInput(source) || source === graph.output) continue;
        const layer = graph.node(source);
        if (getKind(layer.module.kind)?.category !== 'linear' || replaced.has(layer.name)) continue;
        if (graph.consumers(layer.name).length !== 1 || !layer.module.params.weight) continue;
        const { weight, bias } = tf.tidy(() => {
          const p = node.module.params;
          const scale = tf.div(
            p.gamma,
            tf.sqrt(tf.add(p.variance, (node.module.config.epsilon as number | undefined) ?? 1e-5)),
          );
          const w = layer.module.params.weight;
          const b = layer.module.params.bias ?? tf.zeros(scale.shape);
          return { weight: tf.mul(w, scale), bias: tf.add(tf.mul(tf.sub(b, p.mean), scale), p.beta) };
        });
        replaced.set(layer.name, {
          ...layer,
          module: createModule(
            layer.module.kind,
            { ...layer.module.params, weight, bias },
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
