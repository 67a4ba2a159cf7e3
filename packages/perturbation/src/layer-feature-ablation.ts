import * as tf from '@tensorflow/tfjs-core';
import { resolveBaseline, assertFinite, type Target } from '@attrib/core';
import { type AttributionResult, type PerturbationOptions } from './common.js';
import { evaluatePerturbations } from './evaluate.js';
import { groupDifferences } from './feature-ablation.js';
import { coalitionMasks, parseGroupMask, spreadGroupValues } from './group-mask.js';
import { knockoutHook } from './knockout.js';
import { layerRef, layerValue } from './layer-tensor.js';
import { createScorer, type Model } from './model.js';

export interface LayerFeatureAblationOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Node whose tensor is ablated. */
  readonly layer: string;
  /** Ablate the tensor entering `layer` (as that node sees it) instead of its output. */
  readonly attributeToLayerInput?: boolean;
  /** Group ids 0..n−1 broadcastable to the layer tensor; default: every unit alone. */
  readonly layerMask?: tf.Tensor | null;
  /** What ablated units become: a number, a layer-shaped tensor or one sample's; default 0. */
  readonly layerBaselines?: number | tf.Tensor | null;
}

const FN = 'layerFeatureAblation';

/**
 * attr[u ∈ g] = f(x)[t] − f with the layer units of group g set to the baseline (Captum
 * LayerFeatureAblation); the result has the layer tensor's shape.
 */
export async function layerFeatureAblation(
  model: Model,
  inputs: tf.Tensor,
  options: LayerFeatureAblationOptions,
): Promise<AttributionResult> {
  const ref = layerRef(model, options?.layer, options?.attributeToLayerInput, FN, 'attributeToLayerInput');
  const scorer = createScorer(model, inputs, { target: options.target, hooks: options.hooks, fn: FN });
  // A clone: the layer tensor can be the caller's input itself (the first node's input).
  const activation = tf.tidy(() =>
    tf.clone(layerValue(ref, ref.graph.forward(inputs, { hooks: options.hooks, fn: FN }))),
  );
  let mask: ReturnType<typeof parseGroupMask> | undefined;
  let baseline: tf.Tensor | undefined;
  try {
    mask = parseGroupMask(options.layerMask, activation.shape, FN, 'layerMask');
    if (options.layerBaselines instanceof tf.Tensor)
      assertFinite(options.layerBaselines, FN, 'layerBaselines');
    baseline = resolveBaseline(options.layerBaselines, activation, FN, 'layerBaselines');
    const groupMask = mask;
    const replacement = baseline;
    const { groups } = groupMask;
    const batch = inputs.shape[0];
    const values = await evaluatePerturbations({
      total: groups,
      perturbationsPerEval: options.perturbationsPerEval,
      nOut: scorer.nOut,
      fn: FN,
      onProgress: options.onProgress,
      evaluate(start, end) {
        const copies = end - start;
        const flags = new Float32Array(copies * groups).fill(1);
        for (let g = start; g < end; g++) flags[(g - start) * groups + g] = 0;
        const present = coalitionMasks(flags, copies, groupMask);
        const unitMask = groupMask.shape.slice(1);
        const keep = tf.reshape(tf.broadcastTo(present, [copies, batch, ...unitMask]), [
          copies * batch,
          ...unitMask,
        ]);
        const hook = knockoutHook({
          node: ref.node,
          at: ref.at,
          keep,
          replacement: tf.tile(replacement, [copies, ...replacement.shape.slice(1).map(() => 1)]),
          name: FN,
        });
        const stacked = tf.tile(inputs, [copies, ...inputs.shape.slice(1).map(() => 1)]);
        return scorer.score(stacked, copies, [hook]);
      },
    });
    return {
      attributions: spreadGroupValues(
        groupDifferences(scorer.reference, values, groups),
        scorer.nOut,
        groupMask,
        activation.shape,
      ),
    };
  } finally {
    activation.dispose();
    mask?.dispose();
    baseline?.dispose();
  }
}
