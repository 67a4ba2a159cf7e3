import * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  reverseWalk,
  targetOneHot,
  vjp,
  type ForwardHook,
  type Graph,
  type Target,
} from '@attrib/core';
import { deepLiftRules } from './deep-lift-rules.js';

export interface DeepLiftLayer {
  readonly name: string;
  /** Attribute to the tensor entering the node instead of its output. */
  readonly atInput: boolean;
}

export interface DeepLiftWalkResult {
  /** Model output for the stacked batch [x; b] (2N rows). */
  readonly output: tf.Tensor;
  /** DeepLift multipliers at each graph input, x half (fixed inputs included: pick the explained ones). */
  readonly inputMultipliers: tf.Tensor[];
  /** Multipliers at the layer tensor (x half) and its difference `a(x) − a(b)`, with `layer`. */
  readonly layerMultipliers?: tf.Tensor;
  readonly layerDelta?: tf.Tensor;
}

/** A seed for the stacked output: one-hot(target) for both halves, as Captum backpropagates both. */
export function stackedTargetSeed(target: Target | undefined, fn: string): (output: tf.Tensor) => tf.Tensor {
  return (output) => {
    const [x, b] = tf.split(output, 2, 0);
    return tf.concat([targetOneHot(x, target, fn), targetOneHot(b, target, fn)], 0);
  };
}

/** Checks DeepLift's constructor-like options. */
export function checkDeepLiftOptions(
  options: { eps?: number; multiplyByInputs?: boolean } | undefined,
  fn: string,
): void {
  if (options === null || typeof options !== 'object')
    throw invalidArgument(fn, 'options', 'an object', options);
  const { eps, multiplyByInputs } = options;
  if (eps !== undefined && !(typeof eps === 'number' && eps >= 0 && Number.isFinite(eps))) {
    throw invalidArgument(fn, 'eps', 'a finite number ≥ 0', eps);
  }
  if (multiplyByInputs !== undefined && typeof multiplyByInputs !== 'boolean')
    throw invalidArgument(fn, 'multiplyByInputs', 'a boolean', multiplyByInputs);
}

/**
 * One forward of [x; b] and one reverse walk with DeepLift's rules, batched over samples. `stacked` is
 * the full graph-input list of the 2N rows [x; b] (fixed inputs tiled twice). Returns x halves only;
 * everything returned is owned by the caller.
 */
export function deepLiftWalk(
  graph: Graph,
  stacked: readonly tf.Tensor[],
  options: { seed: (output: tf.Tensor) => tf.Tensor; eps: number; layer?: DeepLiftLayer; fn: string },
): DeepLiftWalkResult {
  const { layer, fn } = options;
  const n = stacked[0].shape[0] / 2;
  let captured: { inputs: tf.Tensor[]; output: tf.Tensor } | undefined;
  const hooks: ForwardHook[] = layer
    ? [
        {
          name: `${fn} layer capture`,
          node: layer.name,
          after: ({ inputs, output }) => {
            captured = { inputs: inputs.map((t) => tf.keep(tf.clone(t))), output: tf.keep(tf.clone(output)) };
          },
        },
      ]
    : [];
  const xHalf = (t: tf.Tensor) => tf.slice(t, 0, n);
  try {
    return tf.tidy(() => {
      const walk = reverseWalk(graph, [...stacked], {
        outputGradient: options.seed,
        rules: deepLiftRules(graph, options.eps, fn),
        hooks,
        keep: layer ? [layer.name] : [],
        fn,
      });
      const result = { output: walk.output, inputMultipliers: walk.inputGradients.map(xHalf) };
      if (!layer || !captured) return result;
      const atOutput = walk.nodeGradients.get(layer.name) ?? tf.zerosLike(captured.output);
      // Captum reads the tensor entering a layer downstream of the layer's own DeepLift hook, so there
      // the gradient is the layer's plain one, not its multiplier (FORMAT §7.4, consequence 2).
      const node = graph.node(layer.name, fn);
      const gradient = layer.atInput
        ? vjp((xs) => node.module.forward(xs), captured.inputs, atOutput)[0]
        : atOutput;
      const value = layer.atInput ? captured.inputs[0] : captured.output;
      const [ax, ab] = tf.split(value, 2, 0);
      return { ...result, layerMultipliers: xHalf(gradient), layerDelta: tf.sub(ax, ab) };
    });
  } finally {
    if (captured) tf.dispose([...captured.inputs, captured.output]);
  }
}
