import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule } from '@attrib/core';
import { basicRule, type ParamModifier } from '../basic-rule.js';
import { stabilize } from '../stabilizer.js';
import {
  checkNumber,
  inputTimesGradient,
  negativePart,
  positivePart,
  resolveStabilizer,
  withBias,
  zeroList,
  type StabilizedOptions,
} from './common.js';

export interface GammaOptions extends StabilizedOptions {
  /** How much positive (or negative) weights are favoured (default 0.25). */
  readonly gamma?: number;
}

/**
 * γ: `W↑ = W + γW⁺`, `W↓ = W + γW⁻` (biases alike). Where the unmodified output z > 0, relevance
 * follows `x⁺W↑ + x⁻W↓`; where z < 0, `x⁺W↓ + x⁻W↑`. Like Zennit, the sign mask reads z with its
 * bias even when `zeroParams` drops the bias elsewhere.
 */
export function gamma(options: GammaOptions = {}): BackwardRule {
  const fn = 'gamma';
  const g = checkNumber(options.gamma ?? 0.25, fn, 'gamma', 'a finite number ≥ 0', (v) => v >= 0);
  const zero = zeroList(options.zeroParams, fn);
  const stabilizer = resolveStabilizer(options, fn);
  const up: ParamModifier = (p) => tf.add(p, tf.mul(g, positivePart(p)));
  const down: ParamModifier = (p) => tf.add(p, tf.mul(g, negativePart(p)));
  return basicRule({
    name: 'gamma',
    passes: [
      { input: positivePart, param: up, zero },
      { input: negativePart, param: down, zero: withBias(zero) },
      { input: positivePart, param: down, zero },
      { input: negativePart, param: up, zero: withBias(zero) },
      {},
    ],
    // Masks from `step`, which (unlike comparisons) has a gradient, so tf.grad runs through.
    gradientMapper: (gradOutput, [a, b, c, d, z]) => {
      const positive = tf.mul(tf.step(z), tf.div(gradOutput, stabilize(tf.add(a, b), stabilizer)));
      const negative = tf.mul(tf.step(tf.neg(z)), tf.div(gradOutput, stabilize(tf.add(c, d), stabilizer)));
      return [positive, positive, negative, negative, null];
    },
    reducer: inputTimesGradient,
  });
}
