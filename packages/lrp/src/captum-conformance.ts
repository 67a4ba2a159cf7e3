import * as tf from '@tensorflow/tfjs-core';
import { selectTarget, type ConformanceAdapter, type ConformanceCase, type Graph } from '@attrib/core';
import { captumDefault } from './presets.js';
import { lrp } from './lrp.js';

function run(model: Graph, testCase: ConformanceCase): Record<string, tf.Tensor> {
  const target = testCase.options.target as number | number[];
  const result = lrp(model, testCase.inputs, { composite: captumDefault(), target, seed: 'logit' });
  const delta = tf.tidy(() =>
    tf.sub(selectTarget(result.output, target, 'captum LRP'), result.conservation.input),
  );
  tf.dispose([
    result.output,
    result.conservation.output,
    result.conservation.input,
    ...result.conservation.nodes.values(),
    ...result.conservation.absorbed.values(),
  ]);
  return { attributions: result.attributions, delta };
}

/** Captum's `LRP(model)` with its default rules; delta = f(x)[t] − Σ attributions (FORMAT §7.8). */
export const captumConformanceAdapters: readonly ConformanceAdapter[] = [
  { specificationVersion: 'attrib-conformance/1', library: 'captum', method: 'LRP', run },
];
