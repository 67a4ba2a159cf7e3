import type { BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import {
  clampNegative,
  clampPositive,
  divideBySum,
  inputTimesGradient,
  negativePart,
  positivePart,
  resolveStabilizer,
  withBias,
  zeroList,
  type StabilizedOptions,
} from './common.js';

/**
 * z⁺: only positive contributions, `s = R / stab(z(x⁺;W⁺,b⁺) + z(x⁻;W⁻))`,
 * `R_in = x⁺ ⊙ VJP(s;W⁺) + x⁻ ⊙ VJP(s;W⁻)`.
 */
export function zPlus(options: StabilizedOptions = {}): BackwardRule {
  const fn = 'zPlus';
  const zero = zeroList(options.zeroParams, fn);
  return basicRule({
    name: 'zPlus',
    passes: [
      { input: positivePart, param: clampPositive, zero },
      { input: negativePart, param: clampNegative, zero: withBias(zero) },
    ],
    gradientMapper: divideBySum(resolveStabilizer(options, fn)),
    reducer: inputTimesGradient,
  });
}
