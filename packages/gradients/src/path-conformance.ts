import type * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter, ConformanceCase, Graph, NeuronSelector, Target } from '@attrib/core';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';
import { integratedGradients, type ApproximationMethodName } from './integrated-gradients.js';

type Options = Readonly<Record<string, unknown>>;

function target(options: Options): Target | undefined {
  return (options.target ?? undefined) as Target | undefined;
}

/** The path options every Captum path method shares: baselines (null = zero), nSteps, method. */
function path(options: Options) {
  return {
    baselines: (options.baselines ?? undefined) as tf.Tensor | undefined,
    nSteps: (options.nSteps ?? undefined) as number | undefined,
    method: (options.method ?? undefined) as ApproximationMethodName | undefined,
  };
}

function layer(options: Options) {
  return { layer: options.layer as string, attributeToLayerInput: options.attributeToLayerInput === true };
}

function neuron(options: Options) {
  return { layer: options.layer as string, neuron: options.neuronSelector as NeuronSelector, attributeToNeuronInput: options.attributeToNeuronInput === true };
}

function withDelta(result: { attributions: tf.Tensor; delta?: tf.Tensor }): Record<string, tf.Tensor> {
  return result.delta ? { attributions: result.attributions, delta: result.delta } : { attributions: result.attributions };
}

function adapter(method: string, run: (model: Graph, inputs: tf.Tensor, options: Options) => Promise<{ attributions: tf.Tensor; delta?: tf.Tensor }>): ConformanceAdapter {
  return {
    specificationVersion: 'attrib-conformance/1',
    library: 'captum',
    method,
    run: async (model: Graph, testCase: ConformanceCase) => withDelta(await run(model, testCase.inputs, testCase.options)),
  };
}

/** Captum's gradient and path methods, their layer and neuron variants. */
export const pathConformanceAdapters: readonly ConformanceAdapter[] = [
  adapter('Saliency', (m, x, o) => saliency(m, x, { target: target(o), abs: o.abs !== false })),
  adapter('InputXGradient', (m, x, o) => inputXGradient(m, x, { target: target(o) })),
  adapter('IntegratedGradients', (m, x, o) => integratedGradients(m, x, { target: target(o), ...path(o), returnConvergenceDelta: o.returnConvergenceDelta === true })),
];
void layer;
void neuron;
