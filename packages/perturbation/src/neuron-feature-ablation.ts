import {
  invalidArgument,
  selectNeuron,
  type AttributionInputs,
  type MaskedModel,
  type NeuronSelector,
} from '@attrib/core';
import { type AttributionResult } from './common.js';
import { COALITION_OPTIONS, withCoalitionGame, type CoalitionOptions } from './coalitions.js';
import { ablateEachGroup } from './feature-ablation.js';
import { layerRef, layerValue } from './layer-tensor.js';

export interface NeuronFeatureAblationOptions extends Omit<CoalitionOptions, 'target'> {
  /** Node whose tensor holds the neuron. */
  readonly layer: string;
  /** Flat NHWC index, index tuple ([h, w, c] on a conv map) or a function of the layer tensor → [N]. */
  readonly neuron?: NeuronSelector;
  /** @deprecated The former name of `neuron` (renamed to one name across the packages). */
  readonly neuronSelector?: NeuronSelector;
  /** Take the neuron from the tensor entering `layer` instead of its output. */
  readonly attributeToNeuronInput?: boolean;
}

const FN = 'neuronFeatureAblation';
const KNOWN = [
  ...COALITION_OPTIONS.filter((k) => k !== 'target'),
  'layer',
  'neuron',
  'attributeToNeuronInput',
];

/** attr[i ∈ g] = neuron(x) − neuron(x with group g set to the baseline) (Captum NeuronFeatureAblation). */
export async function neuronFeatureAblation<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options: NeuronFeatureAblationOptions,
): Promise<AttributionResult<I>> {
  let ref: ReturnType<typeof layerRef> | undefined;
  return withCoalitionGame(
    model,
    inputs,
    options,
    {
      fn: FN,
      known: KNOWN,
      // `neuronSelector` was this option's name before core settled on `neuron` everywhere.
      aliases: { neuronSelector: 'neuron' },
      booleans: ['attributeToNeuronInput'],
      objectiveArgument: 'neuron',
      objective(result, checked) {
        ref ??= layerRef(model, checked.layer, checked.attributeToNeuronInput, FN, 'attributeToNeuronInput');
        if (checked.neuron === undefined)
          throw invalidArgument(FN, 'neuron', 'a flat index, an index tuple or a function', undefined);
        return selectNeuron(layerValue(ref, result), checked.neuron as NeuronSelector, FN);
      },
    },
    ablateEachGroup,
  );
}
