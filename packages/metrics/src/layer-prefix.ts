import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHook, Graph } from '@attrib/core';

/**
 * Everything upstream of an ablated tensor is the same under every mask, so it is computed once on
 * the evaluation inputs and replayed: `around` hooks hand each such node its precomputed value
 * (tiled to the copies only where a recomputed node reads it) instead of running it. Only the nodes
 * downstream of the ablation run on the tiled batch.
 */
export interface LayerPrefix {
  /** Hooks for a forward pass over `copies` tiled copies of the inputs; inputs for that pass. */
  forCopies(copies: number): { hooks: ForwardHook[]; inputs: tf.Tensor[] };
  dispose(): void;
}

export function layerPrefix(model: Graph, inputs: tf.Tensor, layer: string, at: 'output' | 'input', fn: string): LayerPrefix {
  // Nodes that must run on the tiled batch: those downstream of the ablated tensor, and the layer
  // itself when its input is ablated (other readers of that input see it intact).
  const changed = new Set<string>([layer]);
  const recomputed = new Set<string>(at === 'input' ? [layer] : []);
  for (const node of model.nodes) {
    if (node.inputs.some((name) => changed.has(name))) {
      changed.add(node.name);
      recomputed.add(node.name);
    }
  }
  const readByRecomputed = new Set(model.nodes.filter((n) => recomputed.has(n.name)).flatMap((n) => n.inputs));
  if (at === 'output') readByRecomputed.add(layer);
  const values = tf.tidy(() => {
    const result = model.forward(inputs, { fn });
    const kept: Record<string, tf.Tensor> = {};
    for (const node of model.nodes) if (!recomputed.has(node.name)) kept[node.name] = result.values.get(node.name)!;
    return kept;
  });
  const graphInputs = model.inputs.map((i) => i.name);
  return {
    forCopies(copies) {
      const tile = (t: tf.Tensor) => repeatBatch(t, copies);
      const hooks: ForwardHook[] = Object.entries(values).map(([name, value]) => ({
        name: 'ablation prefix',
        node: name,
        around: () => (readByRecomputed.has(name) ? tile(value) : tf.clone(value)),
      }));
      const needsTiledInput = graphInputs.some((name) => readByRecomputed.has(name));
      return { hooks, inputs: [needsTiledInput ? tile(inputs) : tf.clone(inputs)] };
    },
    dispose: () => tf.dispose(Object.values(values)),
  };
}

/**
 * `copies` copies of a batch one after another, [copies·N, ...]. A broadcasting add rather than
 * tf.tile, whose wasm kernel is two orders of magnitude slower at these sizes.
 */
export function repeatBatch(t: tf.Tensor, copies: number): tf.Tensor {
  return tf.tidy(() => {
    const ones = tf.zeros([copies, ...t.shape.map(() => 1)]);
    return tf.reshape(tf.add(tf.expandDims(t, 0), ones), [copies * t.shape[0], ...t.shape.slice(1)]);
  });
}
