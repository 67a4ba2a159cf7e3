import type * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter, ConformanceCase, Graph, NeuronSelector, Target } from '@attrib/core';
import { deconvolution } from './deconvolution.js';
import { deepLift } from './deep-lift.js';
import { layerDeepLift } from './deep-lift-layer.js';
import { neuronDeepLift } from './deep-lift-neuron.js';
import { layerGradCam } from './grad-cam.js';
import { guidedBackprop } from './guided-backprop.js';
import type { AttributionResult, Baselines } from './types.js';

type Options = Readonly<Record<string, unknown>>;

/** Fixture options use null for "not passed". */
function given<T>(options: Options, key: string): T | undefined {
  const value = options[key];
  return value === null || value === undefined ? undefined : (value as T);
}

function fields(result: AttributionResult): Record<string, tf.Tensor> {
  return result.delta
    ? { attributions: result.attributions, delta: result.delta }
    : { attributions: result.attributions };
}

function captum(
  method: string,
  run: (model: Graph, inputs: tf.Tensor, options: Options) => AttributionResult,
): ConformanceAdapter {
  return {
    specificationVersion: 'attrib-conformance/1',
    library: 'captum',
    method,
    run: (model: Graph, testCase: ConformanceCase) => fields(run(model, testCase.inputs, testCase.options)),
  };
}

const deepLiftOptions = (o: Options) => ({
  target: given<Target>(o, 'target'),
  baselines: given<Baselines>(o, 'baselines'),
  multiplyByInputs: given<boolean>(o, 'multiplyByInputs'),
  eps: given<number>(o, 'eps'),
  returnConvergenceDelta: given<boolean>(o, 'returnConvergenceDelta'),
});

/** The rule-based gradient methods checked against Captum's fixtures. */
export const ruleConformanceAdapters: readonly ConformanceAdapter[] = [
  captum('GuidedBackprop', (model, x, o) => guidedBackprop(model, x, { target: given<Target>(o, 'target') })),
  captum('Deconvolution', (model, x, o) => deconvolution(model, x, { target: given<Target>(o, 'target') })),
  captum('DeepLift', (model, x, o) => deepLift(model, x, deepLiftOptions(o))),
  captum('LayerDeepLift', (model, x, o) =>
    layerDeepLift(model, x, {
      ...deepLiftOptions(o),
      layer: o.layer as string,
      attributeToLayerInput: given<boolean>(o, 'attributeToLayerInput'),
    }),
  ),
  captum('NeuronDeepLift', (model, x, o) =>
    neuronDeepLift(model, x, {
      layer: o.layer as string,
      neuron: o.neuronSelector as NeuronSelector,
      attributeToNeuronInput: given<boolean>(o, 'attributeToNeuronInput'),
      baselines: given<Baselines>(o, 'baselines'),
      multiplyByInputs: given<boolean>(o, 'multiplyByInputs'),
      eps: given<number>(o, 'eps'),
    }),
  ),
  captum('LayerGradCam', (model, x, o) =>
    layerGradCam(model, x, {
      layer: o.layer as string,
      attributeToLayerInput: given<boolean>(o, 'attributeToLayerInput'),
      target: given<Target>(o, 'target'),
      reluAttributions: given<boolean>(o, 'reluAttributions'),
      attrDimSummation: given<boolean>(o, 'attrDimSummation'),
    }),
  ),
];
