import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import { divideBySum, resolveStabilizer, withBias, zeroList, type StabilizedOptions } from './common.js';

/**
 * Flat: relevance spread uniformly over each output's receptive field, ignoring weights and input:
 * `R_in = VJP(R / stab(z(1;J)); J)` with all-ones weights J and no bias.
 */
export function flat(options: StabilizedOptions = {}): BackwardRule {
  const fn = 'flat';
  return basicRule({
    name: 'flat',
    passes: [
      {
        input: (x) => tf.onesLike(x),
        param: (p) => tf.onesLike(p),
        zero: withBias(zeroList(options.zeroParams, fn)),
      },
    ],
    gradientMapper: divideBySum(resolveStabilizer(options, fn)),
    reducer: (_xs, [g]) => g!,
  });
}
