import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, type BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import { stabilize } from '../stabilizer.js';
import {
  checkNumber,
  clampNegative,
  clampPositive,
  inputTimesGradient,
  negativePart,
  positivePart,
  resolveStabilizer,
  withBias,
  zeroList,
  type StabilizedOptions,
} from './common.js';

export interface AlphaBetaOptions extends StabilizedOptions {
  /** Weight of the positive contributions (default 2). */
  readonly alpha?: number;
  /** Weight of the negative contributions (default 1); α − β must be 1 so relevance is conserved. */
  readonly beta?: number;
}

/**
 * αβ: positive and negative contributions normalised apart, `α·R⁺ − β·R⁻` with
 * `s⁺ = R/stab(z(x⁺;W⁺,b⁺)+z(x⁻;W⁻))`, `s⁻ = R/stab(z(x⁺;W⁻,b⁻)+z(x⁻;W⁺))`.
 */
export function alphaBeta(options: AlphaBetaOptions = {}): BackwardRule {
  const fn = 'alphaBeta';
  const alpha = checkNumber(options.alpha ?? 2, fn, 'alpha', 'a finite number ≥ 1', (v) => v >= 1);
  const beta = checkNumber(options.beta ?? 1, fn, 'beta', 'a finite number ≥ 0', (v) => v >= 0);
  if (Math.abs(alpha - beta - 1) > 1e-12) {
    throw invalidArgument(
      fn,
      'alpha, beta',
      'two numbers with α − β = 1 (relevance conservation)',
      `α = ${alpha}, β = ${beta}`,
    );
  }
  const zero = zeroList(options.zeroParams, fn);
  const stabilizer = resolveStabilizer(options, fn);
  return basicRule({
    name: 'alphaBeta',
    passes: [
      { input: positivePart, param: clampPositive, zero },
      { input: negativePart, param: clampNegative, zero: withBias(zero) },
      { input: positivePart, param: clampNegative, zero },
      { input: negativePart, param: clampPositive, zero: withBias(zero) },
    ],
    gradientMapper: (gradOutput, [a, b, c, d]) => {
      const positive = tf.div(gradOutput, stabilize(tf.add(a, b), stabilizer));
      const negative = tf.div(gradOutput, stabilize(tf.add(c, d), stabilizer));
      return [positive, positive, negative, negative];
    },
    reducer: (xs, gs) =>
      tf.sub(
        tf.mul(alpha, inputTimesGradient(xs.slice(0, 2), gs.slice(0, 2))),
        tf.mul(beta, inputTimesGradient(xs.slice(2), gs.slice(2))),
      ),
  });
}
