import type { BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import { checkStabilizer, type Stabilizer } from '../stabilizer.js';
import { divideBySum, inputTimesGradient, zeroList, type ZeroParams } from './common.js';

export interface EpsilonOptions {
  /** ε of `z + ε·sign(z)` (default 1e-6); `{ epsilon, clip: true }` for the clipping variant. */
  readonly epsilon?: Stabilizer;
  readonly zeroParams?: ZeroParams;
}

/** LRP-ε: `R_in = x ⊙ VJP(R / stab(z))`, z the layer output (without the zeroed parameters). */
export function epsilon(options: EpsilonOptions = {}): BackwardRule {
  const fn = 'epsilon';
  const stabilizer = checkStabilizer(options.epsilon ?? 1e-6, fn, 'epsilon');
  return basicRule({
    name: 'epsilon',
    passes: [{ zero: zeroList(options.zeroParams, fn) }],
    gradientMapper: divideBySum(stabilizer),
    reducer: inputTimesGradient,
  });
}
