import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, selectTarget, yieldToEventLoop, type ForwardHook, type Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { checkBaseline, checkInput } from './approximation-input.js';
import {
  accumulate,
  pathPoints,
  stepChunks,
  sumSteps,
  repeatTarget,
  tileBatch,
} from './approximation-path.js';
import type { PathOptions } from './integrated-gradients.js';
import { convergenceDelta, withDelta } from './integrated-gradients-delta.js';
import { resolveLayers } from './layer-selection.js';
import type { TargetOptions } from './types.js';

export interface LayerIntegratedGradientsOptions extends TargetOptions, PathOptions {
  /** The node whose output (or input, with `attributeToLayerInput`) is integrated along. */
  readonly layer: string;
  readonly attributeToLayerInput?: boolean;
  /** Also return `delta = Σ attributions − (f(x)[t] − f(b)[t])` per sample. */
  readonly returnConvergenceDelta?: boolean;
}

/**
 * Replaces the layer tensor by `replacement`: the node's output, or (with `toInput`) the tensor that
 * node alone receives, as Captum's pre-hook does (other readers of that tensor keep the original).
 */
function replaceLayer(node: string, toInput: boolean, replacement: tf.Tensor): ForwardHook {
  return toInput
    ? { name: 'layer path', node, before: ({ inputs }) => [replacement, ...inputs.slice(1)] }
    : { name: 'layer path', node, after: () => replacement };
}

/**
 * LayerIntegratedGradients: the path runs in layer space. The layer tensor is replaced by
 * `a_b + α_k (a_x − a_b)` (`a_x`, `a_b` the tensor at the input and at the baseline) and the network
 * runs on from there: `(a_x − a_b) · Σ_k s_k ∂f[t]/∂tensor`.
 */
export async function layerIntegratedGradients(
  model: Graph,
  inputs: tf.Tensor,
  options: LayerIntegratedGradientsOptions,
): Promise<{ attributions: tf.Tensor; delta?: tf.Tensor }> {
  const fn = 'layerIntegratedGradients';
  const input = checkInput(model, inputs, fn);
  if (typeof options?.layer !== 'string')
    throw invalidArgument(fn, 'layer', 'one node name (the path replaces one layer tensor)', options?.layer);
  const [layer] = resolveLayers(model, options.layer, options.attributeToLayerInput, fn);
  const toInput = options.attributeToLayerInput === true;
  const { alphas, stepSizes } = pathSchedule(options, fn);
  const batch = input.shape[0];
  repeatTarget(options.target, 1, batch, fn);
  const chunks = stepChunks(alphas.length, batch, options.internalBatchSize, fn);
  const baseline = checkBaseline(options.baselines, input, fn);
  let ends: tf.Tensor[];
  try {
    ends = tf.tidy(() => {
      const { values, output } = model.forward(tf.concat([input, baseline], 0), { fn });
      // Checks the target before any gradient tape exists: an error thrown mid-tape strands the
      // tensors tfjs saved for the backward pass.
      selectTarget(output, repeatTarget(options.target, 2, batch, fn), fn);
      const both = values.get(layer.value)!;
      return [tf.slice(both, [0], [batch]), tf.slice(both, [batch], [batch])];
    });
  } catch (error) {
    baseline.dispose();
    throw error;
  }
  const [atInput, atBaseline] = ends;
  let total: tf.Tensor | undefined;
  try {
    for (let c = 0; c < chunks.length; c++) {
      if (c > 0) await yieldToEventLoop();
      const [start, end] = chunks[c];
      const target = repeatTarget(options.target, end - start, batch, fn);
      const gradient = tf.tidy(() => {
        const path = pathPoints(atInput, atBaseline, alphas.slice(start, end));
        const rows = tileBatch(input, end - start);
        const objective = (replacement: tf.Tensor) =>
          tf.sum(
            selectTarget(
              model.forward(rows, { hooks: [replaceLayer(layer.layer, toInput, replacement)], fn }).output,
              target,
              fn,
            ),
          ) as tf.Scalar;
        return sumSteps(tf.grad(objective)(path), stepSizes.slice(start, end), batch);
      });
      total = accumulate(total, gradient);
      options.onProgress?.({ done: end, total: alphas.length, stage: 'path steps' });
    }
    const attributions = tf.tidy(() => tf.mul(tf.sub(atInput, atBaseline), total!));
    if (!options.returnConvergenceDelta) return { attributions };
    return withDelta(attributions, [attributions], () =>
      convergenceDelta(model, input, baseline, options.target, attributions, fn),
    );
  } finally {
    tf.dispose([baseline, ...ends, ...(total ? [total] : [])]);
  }
}
