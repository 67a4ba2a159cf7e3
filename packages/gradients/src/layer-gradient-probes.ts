import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, targetIndices, type ForwardHook, type Graph, type Target } from '@attrib/core';
import type { ResolvedLayer } from './layer-selection.js';

export interface LayerGradients {
  /** ∂Σ target/∂tensor per layer key, shape of the tensor. */
  readonly gradients: Map<string, tf.Tensor>;
  /** The tensor's value in the same pass. */
  readonly activations: Map<string, tf.Tensor>;
}

/** Names (nodes and graph inputs) the output depends on: only those can receive a gradient. */
function feedingOutput(model: Graph): Set<string> {
  const live = new Set([model.output]);
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const node = model.nodes[i];
    if (live.has(node.name)) node.inputs.forEach((input) => live.add(input));
  }
  return live;
}

/**
 * Gradients of the target at layer tensors only, from one forward pass and a backward pass that stops
 * at those tensors. A zero probe is added to each tensor and the target is differentiated with respect
 * to the probes, so tfjs never propagates below the layers (no input gradient, which is the most
 * expensive part of a conv net's backward pass on wasm). A tensor entering a node gets its probe where
 * it is produced, so the gradient is that of all its readers (core's `{ node, at: 'input' }`).
 */
export function layerGradients(
  model: Graph,
  inputs: tf.Tensor,
  layers: readonly ResolvedLayer[],
  target: Target | undefined,
  fn: string,
): LayerGradients {
  const values = [...new Set(layers.map((l) => l.value))];
  // Per-sample shapes from a one-row pass: a probe must match its tensor.
  const rows = inputs.shape[0];
  const shapes = tf.tidy(() => {
    const { values: one, output } = model.forward(tf.slice(inputs, [0], [1]), { fn });
    // The target is checked here, before a gradient tape holds tensors saved for its backward pass.
    targetIndices(target, [rows, ...output.shape.slice(1)], fn);
    return values.map((v) => one.get(v)!.shape.slice(1));
  });
  const probes = values.map((_, i) => tf.zeros([rows, ...shapes[i]]));
  // A tensor off every path to the output has a zero gradient (as in core's gradients()); tfjs
  // refuses to differentiate with respect to it, so only the others are differentiated.
  const live = feedingOutput(model);
  const liveIndices = values.flatMap((v, i) => (live.has(v) ? [i] : []));
  const captured = new Map<string, tf.Tensor>();
  const objective = (probeOf: (i: number) => tf.Tensor) => {
    const hooks: ForwardHook[] = [];
    let input = inputs;
    values.forEach((value, i) => {
      const probed = (tensor: tf.Tensor) => {
        captured.set(value, tf.keep(tf.clone(tensor)));
        return tf.add(tensor, probeOf(i));
      };
      if (model.isInput(value)) input = probed(inputs);
      else hooks.push({ name: 'layer probe', node: value, after: ({ output }) => probed(output) });
    });
    return tf.sum(selectTarget(model.forward(input, { hooks, fn }).output, target, fn)) as tf.Scalar;
  };
  let grads: tf.Tensor[] = [];
  try {
    if (liveIndices.length === 0) tf.tidy(() => objective((i) => probes[i]));
    else {
      grads = tf.grads((...ps: tf.Tensor[]) =>
        objective((i) => (live.has(values[i]) ? ps[liveIndices.indexOf(i)] : probes[i])),
      )(liveIndices.map((i) => probes[i]));
    }
    const byValue = new Map(
      values.map((v, i) => [v, live.has(v) ? grads[liveIndices.indexOf(i)] : probes[i]]),
    );
    const gradients = new Map<string, tf.Tensor>();
    const activations = new Map<string, tf.Tensor>();
    for (const l of layers) {
      if (gradients.has(l.key)) continue;
      gradients.set(l.key, tf.clone(byValue.get(l.value)!));
      activations.set(l.key, tf.clone(captured.get(l.value)!));
    }
    return { gradients, activations };
  } finally {
    tf.dispose([...grads, ...probes, ...captured.values()]);
  }
}
