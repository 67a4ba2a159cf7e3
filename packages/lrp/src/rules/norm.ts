import type { BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import type { Stabilizer } from '../stabilizer.js';
import { divideBySum, inputTimesGradient, resolveStabilizer } from './common.js';

/**
 * Relevance shared in proportion to each input's contribution, for parameter-free nodes (average
 * pooling, sums): `R_in = x ⊙ VJP(R / stab(f(x)))`. For a residual sum that is `a·R/stab(a+b)`.
 */
export function norm(options: { readonly stabilizer?: Stabilizer } = {}): BackwardRule {
  const stabilizer = resolveStabilizer(options, 'norm');
  return basicRule({
    name: 'norm',
    passes: [{}],
    gradientMapper: divideBySum(stabilizer),
    reducer: inputTimesGradient,
  });
}
