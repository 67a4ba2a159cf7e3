import * as tf from '@tensorflow/tfjs-core';
import { createModule, getKind, registerKind, type Graph, type GraphNode } from '@attrib/core';
import type { Canonizer } from './canonizer.js';

/**
 * The explicit residual sum (Zennit's `Sum`): computes what `add` does, but is its own kind so
 * composites can give it the norm rule while leaving other adds alone. Registered on first use, so
 * importing this package changes no global state.
 */
function ensureSumKind(): void {
  if (getKind('sum')) return;
  registerKind({
    kind: 'sum',
    category: 'merge',
    behaviour: { map: 'affine', lrp: 'average' },
    arity: 'variadic',
    paramNames: [],
    forward: (inputs) => inputs.slice(1).reduce((acc, t) => tf.add(acc, t), inputs[0]),
  });
}

/**
 * Turns residual adds (every node of a kind in the `'add'` LRP family with two or more inputs, or only
 * the `nodes` named) into explicit
 * `sum` nodes, which the presets explain with the norm rule: each branch receives relevance in
 * proportion to its contribution, instead of both receiving all of it.
 */
export function residualSum(options: { readonly nodes?: readonly string[] } = {}): Canonizer {
  return {
    name: 'residualSum',
    apply(graph: Graph): Graph {
      ensureSumKind();
      options.nodes?.forEach((name) => graph.node(name, 'residualSum'));
      const convert = (node: GraphNode): GraphNode => {
        const chosen = options.nodes
          ? options.nodes.includes(node.name)
          : getKind(node.module.kind)?.behaviour?.lrp === 'add' && node.inputs.length >= 2;
        return chosen ? { ...node, module: createModule('sum', {}, {}, node.name) } : node;
      };
      return graph.derive({ nodes: graph.nodes.map(convert) });
    },
  };
}
