import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter, ConformanceCase, Graph } from '@attrib/core';
import { featureAblation } from './feature-ablation.js';
import { layerFeatureAblation } from './layer-feature-ablation.js';
import { neuronFeatureAblation } from './neuron-feature-ablation.js';
import { occlusion } from './occlusion.js';
import { shapleyValues } from './shapley-values.js';

type Options = Readonly<Record<string, unknown>>;

function tensorOption(options: Options, name: string): tf.Tensor | undefined {
  const value = options[name];
  return value instanceof tf.Tensor ? value : undefined;
}

function baselinesOption(options: Options, name: string): number | tf.Tensor | undefined {
  const value = options[name];
  return typeof value === 'number' || value instanceof tf.Tensor ? value : undefined;
}

function targetOption(options: Options): number | number[] | undefined {
  const value = options.target;
  return typeof value === 'number' || Array.isArray(value) ? (value as number | number[]) : undefined;
}

function numberOption(options: Options, name: string): number | undefined {
  const value = options[name];
  return typeof value === 'number' ? value : undefined;
}

function adapter(
  method: string,
  run: (model: Graph, testCase: ConformanceCase, options: Options) => Promise<tf.Tensor>,
): ConformanceAdapter {
  return {
    specificationVersion: 'attrib-conformance/1',
    library: 'captum',
    method,
    async run(model, testCase) {
      return { attributions: await run(model, testCase, testCase.options) };
    },
  };
}

/** Methods of this package checked against the reference fixtures (tooling/conformance). */
export const conformanceAdapters: readonly ConformanceAdapter[] = [
  adapter('FeatureAblation', async (model, { inputs }, options) => {
    const result = await featureAblation(model, inputs, {
      target: targetOption(options),
      featureMask: tensorOption(options, 'featureMask'),
      baselines: baselinesOption(options, 'baselines'),
      perturbationsPerEval: numberOption(options, 'perturbationsPerEval'),
    });
    return result.attributions;
  }),
  adapter('ShapleyValues', async (model, { inputs }, options) => {
    const result = await shapleyValues(model, inputs, {
      target: targetOption(options),
      featureMask: tensorOption(options, 'featureMask'),
      baselines: baselinesOption(options, 'baselines'),
      perturbationsPerEval: numberOption(options, 'perturbationsPerEval'),
    });
    return result.attributions;
  }),
  adapter('LayerFeatureAblation', async (model, { inputs }, options) => {
    const result = await layerFeatureAblation(model, inputs, {
      target: targetOption(options),
      layer: options.layer as string,
      attributeToLayerInput: options.attributeToLayerInput === true,
      layerMask: tensorOption(options, 'layerMask'),
      layerBaselines: baselinesOption(options, 'layerBaselines'),
      perturbationsPerEval: numberOption(options, 'perturbationsPerEval'),
    });
    return result.attributions;
  }),
  adapter('NeuronFeatureAblation', async (model, { inputs }, options) => {
    const result = await neuronFeatureAblation(model, inputs, {
      layer: options.layer as string,
      neuron: options.neuronSelector as number | number[],
      attributeToNeuronInput: options.attributeToNeuronInput === true,
      featureMask: tensorOption(options, 'featureMask'),
      baselines: baselinesOption(options, 'baselines'),
      perturbationsPerEval: numberOption(options, 'perturbationsPerEval'),
    });
    return result.attributions;
  }),
  adapter('Occlusion', async (model, { inputs }, options) => {
    const result = await occlusion(model, inputs, {
      target: targetOption(options),
      slidingWindowShapes: options.slidingWindowShapes as number[],
      strides: options.strides as number[] | undefined,
      baselines: baselinesOption(options, 'baselines'),
      perturbationsPerEval: numberOption(options, 'perturbationsPerEval'),
    });
    return result.attributions;
  }),
];
