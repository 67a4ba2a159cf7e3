import * as tf from '@tensorflow/tfjs-core';
import {
  checkFiniteTensor,
  checkOptions,
  coalitionKeepMasks,
  createScorer,
  evaluateMasked,
  invalidArgument,
  ownResult,
  parseFeatureMask,
  resolveBaseline,
  resolveModelInputs,
  spreadGroupValues,
  type AttributionInputs,
  type Disposable,
  type FeatureMask,
  type FeatureMaskInput,
  type MaskedModel,
  type Target,
} from '@attrib/core';
import { PERTURBATION_OPTIONS, type PerturbationOptions } from './common.js';
import { groupDifferences } from './feature-ablation.js';
import { knockoutHook } from './knockout.js';
import { layerRef, layerValue } from './layer-tensor.js';

export interface LayerFeatureAblationOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Node whose tensor is ablated. */
  readonly layer: string;
  /** Ablate the tensor entering `layer` (as that node sees it) instead of its output. */
  readonly attributeToLayerInput?: boolean;
  /** Group ids over the layer tensor (core's `parseFeatureMask`, as `featureMask`); default: every unit alone. */
  readonly layerMask?: FeatureMaskInput;
  /** What ablated units become: a number, a layer-shaped tensor or one sample's; default 0. */
  readonly layerBaselines?: number | tf.Tensor | null;
}

const FN = 'layerFeatureAblation';
const KNOWN = [
  ...PERTURBATION_OPTIONS,
  'target',
  'layer',
  'attributeToLayerInput',
  'layerMask',
  'layerBaselines',
];

/**
 * attr[u ∈ g] = f(x)[t] − f with the layer units of group g set to the baseline (Captum
 * LayerFeatureAblation); the result has the layer tensor's shape.
 */
export async function layerFeatureAblation(
  model: MaskedModel,
  inputs: AttributionInputs,
  rawOptions: LayerFeatureAblationOptions,
): Promise<{ readonly attributions: tf.Tensor } & Disposable> {
  const options = checkOptions(FN, rawOptions, KNOWN, { booleans: ['attributeToLayerInput'] });
  const ref = layerRef(model, options.layer, options.attributeToLayerInput, FN, 'attributeToLayerInput');
  const resolved = resolveModelInputs(model, inputs, { fn: FN, additionalInputs: options.additionalInputs });
  let activation: tf.Tensor | undefined;
  let mask: FeatureMask | undefined;
  let baseline: tf.Tensor | undefined;
  try {
    const scorer = createScorer(model, resolved, { fn: FN, target: options.target, hooks: options.hooks });
    // A clone: the layer tensor can be the caller's input itself (the first node's input).
    activation = tf.tidy(() =>
      tf.clone(
        layerValue(
          ref,
          ref.graph.forward(resolved.assemble(resolved.explained), { hooks: options.hooks, fn: FN }),
        ),
      ),
    );
    const { shape } = activation;
    mask = parseFeatureMask(options.layerMask, [shape], FN, 'layerMask');
    if (options.layerBaselines instanceof tf.Tensor && options.layerBaselines.isDisposed)
      throw invalidArgument(FN, 'layerBaselines', 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    baseline = resolveBaseline(options.layerBaselines, activation, FN, 'layerBaselines');
    checkFiniteTensor(baseline, FN, 'layerBaselines');
    const groupMask = mask;
    const replacement = baseline;
    const { groups } = groupMask;
    const batch = resolved.batch;
    const values = await evaluateMasked(scorer, [], {
      total: groups,
      perturbationsPerEval: options.perturbationsPerEval,
      memoryBudget: options.memoryBudget,
      onProgress: options.onProgress,
      // The inputs stay whole: a hook ablates the layer tensor of copy c by coalition c's keep mask.
      hooks(start, end) {
        const copies = end - start;
        const flags = new Float32Array(copies * groups).fill(1);
        for (let g = start; g < end; g++) flags[(g - start) * groups + g] = 0;
        const [present] = coalitionKeepMasks(groupMask, flags, copies);
        const unitMask = groupMask.shapes[0].slice(1);
        const keep = tf.reshape(tf.broadcastTo(present, [copies, batch, ...unitMask]), [
          copies * batch,
          ...unitMask,
        ]);
        return [
          knockoutHook({
            node: ref.node,
            at: ref.at,
            keep,
            replacement: tf.tile(replacement, [copies, ...replacement.shape.slice(1).map(() => 1)]),
            name: FN,
          }),
        ];
      },
    });
    const [attributions] = spreadGroupValues(
      groupMask,
      groupDifferences(scorer.reference, values, groups),
      scorer.nOut,
      [shape],
      FN,
      'layerMask',
    );
    return ownResult({ attributions });
  } finally {
    activation?.dispose();
    mask?.dispose();
    baseline?.dispose();
    resolved.dispose();
  }
}
