import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHook, Graph } from '@attrib/core';

/**
 * Everything upstream of an ablated tensor is the same under every mask, so it is computed once on
 * the evaluation inputs and replayed: `around` hooks hand each such node its precomputed value
 * (repeated for the copies where a recomputed node reads it) instead of running it. Only the nodes
 * downstream of the ablation run on the repeated batch.
 */
export interface LayerPrefix {
  /** Hooks and inputs for a forward pass over `copies` copies of the inputs, one after another. */
  forCopies(copies: number): { hooks: ForwardHook[]; inputs: tf.Tensor[] };
  dispose(): void;
}

interface HostValue {
  readonly data: Float32Array;
  readonly shape: number[];
}

/**
 * `copies` copies of a batch one after another, [copies·N, ...], built on the host: a memcpy per
 * copy, where tf.tile (wasm) and broadcasting adds (cpu) are much slower at these sizes.
 */
function repeatBatch(value: HostValue, copies: number): tf.Tensor {
  const data = new Float32Array(value.data.length * copies);
  for (let c = 0; c < copies; c++) data.set(value.data, c * value.data.length);
  return tf.tensor(data, [copies * value.shape[0], ...value.shape.slice(1)]);
}

export function layerPrefix(
  model: Graph,
  inputs: readonly tf.Tensor[],
  layer: string,
  at: 'output' | 'input',
  fn: string,
): LayerPrefix {
  // Nodes that must run on the repeated batch: those downstream of the ablated tensor, and the layer
  // itself when its input is ablated (other readers of that input see it intact).
  const changed = new Set<string>([layer]);
  const recomputed = new Set<string>(at === 'input' ? [layer] : []);
  for (const node of model.nodes) {
    if (node.inputs.some((name) => changed.has(name))) {
      changed.add(node.name);
      recomputed.add(node.name);
    }
  }
  const readByRecomputed = new Set(
    model.nodes.filter((n) => recomputed.has(n.name)).flatMap((n) => n.inputs),
  );
  if (at === 'output') readByRecomputed.add(layer);
  const device = tf.tidy(() => {
    const result = model.forward(inputs, { fn });
    const kept: Record<string, tf.Tensor> = {};
    for (const node of model.nodes)
      if (!recomputed.has(node.name)) kept[node.name] = result.values.get(node.name)!;
    return kept;
  });
  const host = new Map<string, HostValue>();
  for (const [name, value] of Object.entries(device)) {
    if (readByRecomputed.has(name))
      host.set(name, { data: Float32Array.from(value.dataSync()), shape: value.shape });
  }
  // Graph inputs read by a recomputed node are repeated too (on the host, like node values).
  const hostInputs = model.inputs.map(({ name }, k) =>
    readByRecomputed.has(name)
      ? { data: Float32Array.from(inputs[k].dataSync()), shape: inputs[k].shape }
      : undefined,
  );
  return {
    forCopies(copies) {
      const hooks: ForwardHook[] = Object.entries(device).map(([name, value]) => ({
        name: 'ablation prefix',
        node: name,
        around: () => (host.has(name) ? repeatBatch(host.get(name)!, copies) : tf.clone(value)),
      }));
      return {
        hooks,
        inputs: hostInputs.map((host, k) => (host ? repeatBatch(host, copies) : tf.clone(inputs[k]))),
      };
    },
    dispose: () => tf.dispose(Object.values(device)),
  };
}
