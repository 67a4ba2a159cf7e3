import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import { divideBySum, resolveStabilizer, zeroList, type StabilizedOptions } from './common.js';

/** w²: `R_in = VJP(R / stab(z(1;W²,b²)); W²)`, the input ignored (the bias is squared too, as in Zennit). */
export function wSquare(options: StabilizedOptions = {}): BackwardRule {
  const fn = 'wSquare';
  return basicRule({
    name: 'wSquare',
    passes: [
      { input: (x) => tf.onesLike(x), param: (p) => tf.square(p), zero: zeroList(options.zeroParams, fn) },
    ],
    gradientMapper: divideBySum(resolveStabilizer(options, fn)),
    reducer: (_xs, [g]) => g!,
  });
}
