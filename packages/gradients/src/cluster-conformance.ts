import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, type ConformanceAdapter, type Target } from '@attrib/core';
import { clusterBatchGradients, clusterLayerRef } from './cluster-batch.js';
import { clusterNeuronImportance, type ClusterImportance } from './cluster-importance.js';

const aggregates = {
  mean: 'mean',
  meanAbs: 'meanAbs',
  meanGradXAct: 'meanGradXAct',
} as const satisfies Record<string, keyof ClusterImportance>;

/**
 * Seed `ClusterNeuronGradient` (FORMAT.md §9): the per-sample scoring loop, reconstructed. The
 * aggregate comes from `clusterNeuronImportance` (the whole case as one cluster); the per-sample
 * gradients and activations, which the method only summarises, from its batched pass.
 */
const clusterNeuronGradient: ConformanceAdapter = {
  specificationVersion: 'attrib-conformance/1',
  library: 'seed',
  method: 'ClusterNeuronGradient',
  async run(model, { inputs, options }) {
    const layer = options.layer as string;
    const attributeToLayerInput = options.attributeToLayerInput as boolean | undefined;
    const target = options.target as Target | undefined;
    const aggregate = aggregates[options.aggregate as keyof typeof aggregates];
    if (!aggregate)
      throw invalidArgument(
        'ClusterNeuronGradient',
        'aggregate',
        `one of ${Object.keys(aggregates).join(', ')}`,
        options.aggregate,
      );

    const { all } = await clusterNeuronImportance(model, {
      layer,
      attributeToLayerInput,
      target,
      clusters: { all: inputs },
    });
    const { gradient, activation } = clusterBatchGradients(
      model,
      inputs,
      clusterLayerRef(layer, attributeToLayerInput),
      target,
      'ClusterNeuronGradient',
    );
    return {
      attributions: tf.tensor1d(Float32Array.from(all[aggregate])),
      perSampleGradient: gradient,
      activation,
    };
  },
};

/** The seed `ClusterNeuronGradient` cases (per-sample neuron scoring, reconstructed). */
export const clusterConformanceAdapters: readonly ConformanceAdapter[] = [clusterNeuronGradient];
