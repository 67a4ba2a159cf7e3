import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, convergenceDelta, ownResult, type AttributionInputs, type Graph } from '@attrib/core';
import { pathSchedule } from './approximation.js';
import { accumulate, walkPath } from './approximation-path.js';
import { guardDelta, type PathOptions } from './integrated-gradients.js';
import { layerGradients } from './layer-gradient-probes.js';
import { layerRules, layerTensors, perLayer, resolveLayers } from './layer-selection.js';
import { withBaselines, withInputs } from './method-inputs.js';
import {
  keys,
  type LayerAttributionResult,
  type LayerSelection,
  type LayerSelectionOptions,
  type TargetOptions,
  type DeltaRequested,
  type WithDelta,
} from './types.js';

export interface LayerConductanceOptions<L extends LayerSelection>
  extends LayerSelectionOptions<L>, TargetOptions, PathOptions {
  /** Also return `delta = Σ attributions − (f(x)[t] − f(b)[t])` per sample (per layer). */
  readonly returnConvergenceDelta?: boolean;
}

/** The last step of a chunk, kept so the next chunk can difference across the boundary. */
type Carry = {
  gradient: tf.Tensor;
  activation: tf.Tensor;
};

/**
 * LayerConductance (Dhamdhere et al.), as Captum computes it: the input-space path is evaluated at
 * the n+1 points of the method, and `Σ_{k<n} ∂f[t]/∂tensor(α_k) · (tensor(α_{k+1}) − tensor(α_k))`
 * is returned (step sizes unused). Chunks carry their last step over to the next.
 */
export function layerConductance<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerConductanceOptions<L> & DeltaRequested,
): Promise<WithDelta<LayerAttributionResult<L>>>;
export function layerConductance<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerConductanceOptions<L>,
): Promise<LayerAttributionResult<L>>;
export async function layerConductance<L extends LayerSelection>(
  model: Graph,
  inputs: AttributionInputs,
  options: LayerConductanceOptions<L>,
): Promise<LayerAttributionResult<L>> {
  const fn = 'layerConductance';
  const o = checkOptions(fn, options, [...keys.layer, ...keys.target, ...keys.path, ...keys.delta], {
    booleans: [...layerRules.booleans, 'returnConvergenceDelta'],
    required: 'layer',
  });
  // The path runs in input space: integer inputs cannot be interpolated.
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const layers = resolveLayers(model, o.layer, o.attributeToLayerInput, fn);
    const { alphas } = pathSchedule(o, fn, { extraPoint: true });
    const batch = resolved.batch;
    return withBaselines(o.baselines, resolved, fn, async (baselines) => {
      const totals = new Map<string, tf.Tensor>();
      const carries = new Map<string, Carry>();
      try {
        await walkPath(
          { ...o, fn, model, inputs: resolved, baselines, alphas },
          ({ start, end, points, target }) => {
            const result = layerGradients(model, points, layers, target, fn);
            try {
              for (const l of layers) {
                const previous = carries.get(l.key);
                const unitShape = result.activations.get(l.key)!.shape.slice(1);
                const [sum, carry] = tf.tidy((): [tf.Tensor | undefined, Carry] => {
                  // Steps as rows of [steps, N·F]: slicing and summing over leading rows stays contiguous.
                  let grads = tf.reshape(result.gradients.get(l.key)!, [end - start, -1]);
                  let acts = tf.reshape(result.activations.get(l.key)!, [end - start, -1]);
                  if (previous) {
                    grads = tf.concat([previous.gradient, grads], 0);
                    acts = tf.concat([previous.activation, acts], 0);
                  }
                  const steps = grads.shape[0];
                  const last = (t: tf.Tensor) => tf.slice(t, [steps - 1, 0], [1, -1]);
                  const next: Carry = { gradient: last(grads), activation: last(acts) };
                  if (steps < 2) return [undefined, next];
                  const differences = tf.sub(
                    tf.slice(acts, [1, 0], [steps - 1, -1]),
                    tf.slice(acts, [0, 0], [steps - 1, -1]),
                  );
                  const products = tf.mul(tf.slice(grads, [0, 0], [steps - 1, -1]), differences);
                  const summed = tf.matMul(tf.ones([1, steps - 1]), products);
                  return [tf.reshape(summed, [batch, ...unitShape]), next];
                });
                if (previous) tf.dispose([previous.gradient, previous.activation]);
                carries.set(l.key, carry);
                if (sum) totals.set(l.key, accumulate(totals.get(l.key), sum));
              }
            } finally {
              tf.dispose([...result.gradients.values(), ...result.activations.values()]);
            }
          },
        );
        const attributions = perLayer(o.layer, layers, (l) => tf.clone(totals.get(l.key)!));
        if (!o.returnConvergenceDelta) return ownResult({ attributions });
        const xs = resolved.assemble(resolved.explained);
        const bs = resolved.assemble(baselines);
        const delta = guardDelta(layerTensors(attributions), () =>
          perLayer(o.layer, layers, (l) =>
            convergenceDelta(model, xs, bs, o.target, [totals.get(l.key)!], fn),
          ),
        );
        return ownResult({ attributions, delta });
      } finally {
        tf.dispose([...totals.values(), ...[...carries.values()].flatMap((c) => [c.gradient, c.activation])]);
      }
    });
  });
}
