import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter } from '@attrib/core';
import { infidelity } from './infidelity.js';

/** Captum's infidelity with the fixture's fixed perturbations (FORMAT §7.9). */
const infidelityAdapter: ConformanceAdapter = {
  specificationVersion: 'attrib-conformance/1',
  library: 'captum',
  method: 'infidelity',
  async run(model, testCase) {
    const options = testCase.options as {
      target: number | number[];
      attributions: tf.Tensor;
      perturbations: tf.Tensor;
      nPerturbSamples: number;
      normalize?: boolean | null;
    };
    const result = await infidelity(model, testCase.inputs, {
      target: options.target,
      attributions: options.attributions,
      perturbations: options.perturbations,
      nPerturbSamples: options.nPerturbSamples,
      normalize: options.normalize ?? false,
    });
    return { infidelity: result.infidelity };
  },
};

/** Methods of this package checked against the reference fixtures (tooling/conformance). */
export const conformanceAdapters: readonly ConformanceAdapter[] = [infidelityAdapter];
