import type { ConformanceAdapter } from '@attrib/core';

/** The seed `ClusterNeuronGradient` cases (per-sample neuron scoring, reconstructed). */
export const clusterConformanceAdapters: readonly ConformanceAdapter[] = [];
