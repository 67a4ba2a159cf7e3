import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  expandTarget,
  ownResult,
  repeatRows,
  resolveBaselineDistribution,
  type AttributionInputs,
  type Graph,
  type PerInput,
} from '@attrib/core';
import { deepLift, deepLiftBooleans, deepLiftKeys } from './deep-lift.js';
import { withInputs } from './method-inputs.js';
import {
  keys,
  type AttributionResult,
  type DeltaRequested,
  type TargetOptions,
  type WithDelta,
} from './types.js';

export interface DeepLiftShapOptions extends TargetOptions {
  /** A distribution of references, [B, ...one sample's shape]; a list or record of them for several inputs. */
  readonly baselines: tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;
  readonly multiplyByInputs?: boolean;
  readonly eps?: number;
  /** Per (sample, baseline) pair, ordered by sample then baseline: [N·B]. */
  readonly returnConvergenceDelta?: boolean;
}

/**
 * DeepLift SHAP (Captum `DeepLiftShap`): DeepLift of every sample against every baseline of the
 * distribution, averaged over the baselines. All N·B pairs run as one stacked batch, sample-major
 * (Captum's `repeat_interleave`): targets and fixed inputs follow their sample.
 */
export function deepLiftShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: DeepLiftShapOptions & DeltaRequested,
): WithDelta<AttributionResult<PerInput<I>>>;
export function deepLiftShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: DeepLiftShapOptions,
): AttributionResult<PerInput<I>>;
export function deepLiftShap<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: DeepLiftShapOptions,
): AttributionResult<PerInput<I>> {
  const fn = 'deepLiftShap';
  const o = checkOptions(fn, options, [...deepLiftKeys, ...keys.delta], {
    booleans: deepLiftBooleans,
    required: 'baselines',
  });
  return withInputs(model, inputs, o, fn, 'gradient', (resolved) => {
    const distribution = resolveBaselineDistribution(o.baselines, resolved, fn);
    const n = resolved.batch;
    const b = distribution[0].shape[0];
    const target = expandTarget(o.target, b, n, fn, 'sample-major');
    const fixedNames = model.inputs.map((i) => i.name).filter((name) => !resolved.names.includes(name));
    const pairs = tf.tidy(() => ({
      x: resolved.explained.map((x) => repeatRows(x, b, 'sample-major')),
      b: distribution.map((d) => repeatRows(d, n, 'copy-major')),
      fixed: resolved.additional.map((a) => repeatRows(a, b, 'sample-major')),
    }));
    try {
      const result = deepLift(model, pairs.x, {
        target,
        baselines: pairs.b,
        additionalInputs: Object.fromEntries(fixedNames.map((name, k) => [name, pairs.fixed[k]])),
        multiplyByInputs: o.multiplyByInputs,
        eps: o.eps,
        returnConvergenceDelta: o.returnConvergenceDelta,
      });
      const attributions = tf.tidy(() =>
        result.attributions.map((a, k) =>
          tf.mean(tf.reshape(a, [n, b, ...resolved.explained[k].shape.slice(1)]), 1),
        ),
      );
      tf.dispose(result.attributions);
      return ownResult({
        attributions: resolved.restore(attributions),
        ...(result.delta ? { delta: result.delta } : {}),
      });
    } finally {
      tf.dispose([...pairs.x, ...pairs.b, ...pairs.fixed]);
    }
  });
}
