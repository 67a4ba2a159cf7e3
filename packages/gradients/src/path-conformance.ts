import type * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter, ConformanceCase, Graph, NeuronSelector, Target } from '@attrib/core';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';
import { integratedGradients, type ApproximationMethodName } from './integrated-gradients.js';
import { layerActivation } from './layer-activation.js';
import { layerGradientXActivation } from './layer-gradient.js';
import { layerConductance } from './layer-conductance.js';
import { layerIntegratedGradients } from './layer-integrated-gradients.js';
import { internalInfluence } from './internal-influence.js';
import { neuronGradient } from './neuron-gradient.js';
import { neuronIntegratedGradients } from './neuron-integrated-gradients.js';
import { neuronConductance } from './neuron-conductance.js';

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
  return {
    layer: options.layer as string,
    neuron: options.neuronSelector as NeuronSelector,
    attributeToNeuronInput: options.attributeToNeuronInput === true,
  };
}

function withDelta(result: { attributions: tf.Tensor; delta?: tf.Tensor }): Record<string, tf.Tensor> {
  return result.delta
    ? { attributions: result.attributions, delta: result.delta }
    : { attributions: result.attributions };
}

function adapter(
  method: string,
  run: (
    model: Graph,
    inputs: tf.Tensor,
    options: Options,
  ) => Promise<{ attributions: tf.Tensor; delta?: tf.Tensor }>,
): ConformanceAdapter {
  return {
    specificationVersion: 'attrib-conformance/1',
    library: 'captum',
    method,
    run: async (model: Graph, testCase: ConformanceCase) =>
      withDelta(await run(model, testCase.inputs, testCase.options)),
  };
}

/** Captum's gradient and path methods, their layer and neuron variants. */
export const pathConformanceAdapters: readonly ConformanceAdapter[] = [
  adapter('Saliency', (m, x, o) => saliency(m, x, { target: target(o), abs: o.abs !== false })),
  adapter('InputXGradient', (m, x, o) => inputXGradient(m, x, { target: target(o) })),
  adapter('IntegratedGradients', (m, x, o) =>
    integratedGradients(m, x, {
      target: target(o),
      ...path(o),
      returnConvergenceDelta: o.returnConvergenceDelta === true,
    }),
  ),
  adapter('LayerActivation', (m, x, o) => layerActivation(m, x, layer(o))),
  adapter('LayerGradientXActivation', (m, x, o) =>
    layerGradientXActivation(m, x, { ...layer(o), target: target(o) }),
  ),
  adapter('LayerConductance', (m, x, o) =>
    layerConductance(m, x, {
      ...layer(o),
      target: target(o),
      ...path(o),
      returnConvergenceDelta: o.returnConvergenceDelta === true,
    }),
  ),
  adapter('LayerIntegratedGradients', (m, x, o) =>
    layerIntegratedGradients(m, x, {
      ...layer(o),
      target: target(o),
      ...path(o),
      returnConvergenceDelta: o.returnConvergenceDelta === true,
    }),
  ),
  adapter('InternalInfluence', (m, x, o) =>
    internalInfluence(m, x, { ...layer(o), target: target(o), ...path(o) }),
  ),
  adapter('NeuronGradient', (m, x, o) => neuronGradient(m, x, neuron(o))),
  adapter('NeuronIntegratedGradients', (m, x, o) =>
    neuronIntegratedGradients(m, x, { ...neuron(o), ...path(o) }),
  ),
  adapter('NeuronConductance', (m, x, o) =>
    neuronConductance(m, x, { ...neuron(o), target: target(o), ...path(o) }),
  ),
];
