import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '@attrib/core';
import { checkStabilizer, stabilize, type Stabilizer } from '../stabilizer.js';
import type { ParamModifier } from '../basic-rule.js';

/** Parameters a rule leaves out of its modified passes: `'bias'` or a list of names. */
export type ZeroParams = string | readonly string[];

export interface StabilizedOptions {
  /** Denominator stabilizer (default 1e-6, Zennit's). */
  readonly stabilizer?: Stabilizer;
  readonly zeroParams?: ZeroParams;
}

export function zeroList(zeroParams: ZeroParams | undefined | null, fn: string): string[] {
  if (zeroParams === undefined || zeroParams === null) return [];
  const list = typeof zeroParams === 'string' ? [zeroParams] : zeroParams;
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string')) {
    throw invalidArgument(fn, 'zeroParams', "a parameter name or a list of names (e.g. 'bias')", zeroParams);
  }
  return [...list];
}

/** Adds 'bias' to a zero list: Zennit drops the bias from the passes that read x⁻. */
export const withBias = (zero: readonly string[]): string[] =>
  zero.includes('bias') ? [...zero] : [...zero, 'bias'];

export function resolveStabilizer(options: StabilizedOptions | undefined, fn: string): Stabilizer {
  return checkStabilizer(options?.stabilizer ?? 1e-6, fn, 'stabilizer');
}

export function checkNumber(
  value: unknown,
  fn: string,
  argument: string,
  expected: string,
  ok: (v: number) => boolean,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value))
    throw invalidArgument(fn, argument, expected, value);
  return value;
}

export const positivePart = (x: tf.Tensor): tf.Tensor => tf.relu(x);
export const negativePart = (x: tf.Tensor): tf.Tensor => tf.neg(tf.relu(tf.neg(x)));
export const clampPositive: ParamModifier = (p) => positivePart(p);
export const clampNegative: ParamModifier = (p) => negativePart(p);

/** The epsilon-style gradient mapper: every pass is pulled back with R / stab(Σ outputs). */
export function divideBySum(stabilizer: Stabilizer) {
  return (gradOutput: tf.Tensor, outputs: readonly tf.Tensor[]) => {
    const seed = tf.div(
      gradOutput,
      stabilize(
        outputs.reduce((a, b) => tf.add(a, b)),
        stabilizer,
      ),
    );
    return outputs.map(() => seed);
  };
}

/** Σ_k inputs[k] ⊙ gradients[k]: the reducer of every rule that weighs by the (modified) input. */
export function inputTimesGradient(
  inputs: readonly tf.Tensor[],
  gradients: readonly (tf.Tensor | null)[],
): tf.Tensor {
  let total: tf.Tensor | null = null;
  inputs.forEach((x, k) => {
    const g = gradients[k];
    if (!g) return;
    const term = tf.mul(x, g);
    total = total ? tf.add(total, term) : term;
  });
  return total!;
}
