import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  convergenceDelta,
  expandTarget,
  forEachChunk,
  invalidArgument,
  ownResult,
  repeatRows,
  selectTarget,
  type AttributionInputs,
  type ForwardHook,
  type Graph,
} from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { accumulate, pathPoints, stepsPerPass, sumSteps } from './approximation-path.js';
import { guardDelta, type PathOptions } from './integrated-gradients.js';
import { layerRules, resolveLayers } from './layer-selection.js';
import { withBaselines, withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type DeltaRequested,
  type TargetOptions,
  type WithDelta,
} from './types.js';

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
export function layerIntegratedGradients(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerIntegratedGradientsOptions & DeltaRequested,
): Promise<WithDelta<AttributionResult>>;
export function layerIntegratedGradients(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerIntegratedGradientsOptions,
): Promise<AttributionResult>;
export async function layerIntegratedGradients(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerIntegratedGradientsOptions,
): Promise<AttributionResult> {
  const fn = 'layerIntegratedGradients';
  const o = checkOptions(fn, options, [...keys.layer, ...keys.target, ...keys.path, ...keys.delta], {
    booleans: [...layerRules.booleans, 'returnConvergenceDelta'],
    required: 'layer',
  });
  // The path runs in layer space, so integer inputs (ids into an embedding) are fine.
  return withInputs(model, inputs, o, fn, 'values', (resolved) => {
    if (typeof o.layer !== 'string')
      throw invalidArgument(fn, 'layer', 'one node name (the path replaces one layer tensor)', o.layer);
    const [layer] = resolveLayers(model, o.layer, o.attributeToLayerInput, fn);
    const toInput = o.attributeToLayerInput === true;
    const { alphas, stepSizes } = pathSchedule(o, fn);
    const batch = resolved.batch;
    expandTarget(o.target, 1, batch, fn);
    const steps = stepsPerPass(model, resolved, o, fn);
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      const [atInput, atBaseline] = tf.tidy(() => {
        const both = resolved.assemble(
          resolved.explained.map((x, k) => tf.concat([x, baselines[k]], 0)),
          2,
        );
        const { values, output } = model.forward(both, { fn });
        // Checks the target before any gradient tape exists: an error thrown mid-tape strands the
        // tensors tfjs saved for the backward pass.
        selectTarget(output, expandTarget(o.target, 2, batch, fn), fn);
        const value = values.get(layer.value)!;
        return [tf.slice(value, [0], [batch]), tf.slice(value, [batch], [batch])];
      });
      let total: tf.Tensor | undefined;
      try {
        await forEachChunk(
          alphas.length,
          steps,
          { fn, onProgress: o.onProgress, stage: 'path steps', rowsPerItem: batch },
          (start, end) => {
            const target = expandTarget(o.target, end - start, batch, fn);
            const gradient = tf.tidy(() => {
              const path = pathPoints(atInput, atBaseline, alphas.slice(start, end));
              const rows = resolved.assemble(
                resolved.explained.map((x) => repeatRows(x, end - start)),
                end - start,
              );
              const objective = (replacement: tf.Tensor) =>
                tf.sum(
                  selectTarget(
                    model.forward(rows, { hooks: [replaceLayer(layer.layer, toInput, replacement)], fn })
                      .output,
                    target,
                    fn,
                  ),
                ) as tf.Scalar;
              return sumSteps(tf.grad(objective)(path), stepSizes.slice(start, end), batch);
            });
            total = accumulate(total, gradient);
          },
        );
        const attributions = tf.tidy(() => tf.mul(tf.sub(atInput, atBaseline), total!));
        if (!o.returnConvergenceDelta) return ownResult({ attributions });
        const delta = guardDelta([attributions], () =>
          convergenceDelta(
            model,
            resolved.assemble(resolved.explained),
            resolved.assemble(baselines),
            o.target,
            [attributions],
            fn,
          ),
        );
        return ownResult({ attributions, delta });
      } finally {
        tf.dispose([atInput, atBaseline, ...(total ? [total] : [])]);
      }
    });
  });
}
