import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch, type Graph, type Target } from '@attrib/core';
import { deepLift } from './deep-lift.js';
import { checkInputs } from './relu-rules-walk.js';
import type { AttributionResult, TargetOptions } from './types.js';

export interface DeepLiftShapOptions extends TargetOptions {
  /** A distribution of references, [B, ...one sample's shape]. */
  readonly baselines: tf.Tensor;
  readonly multiplyByInputs?: boolean;
  readonly eps?: number;
  /** Per (sample, baseline) pair, ordered by sample then baseline: [N·B]. */
  readonly returnConvergenceDelta?: boolean;
}

/** Each sample's target repeated once per baseline (Captum's `repeat_interleave` expansion). */
function expandTarget(target: Target | undefined, n: number, b: number, fn: string): Target | undefined {
  if (target === undefined || typeof target === 'number' || typeof target === 'function') return target;
  const values = Array.from(target instanceof tf.Tensor ? target.dataSync() : (target as ArrayLike<number>));
  if (values.length !== n) throw invalidArgument(fn, 'target', `one index per sample (${n})`, target);
  return values.flatMap((t) => Array<number>(b).fill(t));
}

/**
 * DeepLift SHAP (Captum `DeepLiftShap`): DeepLift of every sample against every baseline of the
 * distribution, averaged over the baselines. All N·B pairs run as one stacked batch.
 */
export function deepLiftShap(
  model: Graph,
  inputs: tf.Tensor,
  options: DeepLiftShapOptions,
): AttributionResult {
  const fn = 'deepLiftShap';
  checkInputs(model, inputs, fn);
  const baselines = options?.baselines;
  if (!(baselines instanceof tf.Tensor))
    throw invalidArgument(fn, 'baselines', 'a tensor of references [B, ...sample shape]', baselines);
  if (baselines.rank !== inputs.rank || baselines.shape.slice(1).join() !== inputs.shape.slice(1).join()) {
    throw shapeMismatch(fn, 'baselines', `[B, ${inputs.shape.slice(1)}]`, baselines.shape);
  }
  const n = inputs.shape[0];
  const b = baselines.shape[0];
  const target = expandTarget(options.target, n, b, fn);
  const pairs = tf.tidy(() => ({
    x: tf.gather(
      inputs,
      tf.tensor1d(
        Array.from({ length: n * b }, (_, i) => Math.floor(i / b)),
        'int32',
      ),
    ),
    b: tf.tile(baselines, [n, ...baselines.shape.slice(1).map(() => 1)]),
  }));
  try {
    const result = deepLift(model, pairs.x, { ...options, target, baselines: pairs.b });
    const attributions = tf.tidy(() =>
      tf.mean(tf.reshape(result.attributions, [n, b, ...inputs.shape.slice(1)]), 1),
    );
    result.attributions.dispose();
    return result.delta ? { attributions, delta: result.delta } : { attributions };
  } finally {
    tf.dispose([pairs.x, pairs.b]);
  }
}
