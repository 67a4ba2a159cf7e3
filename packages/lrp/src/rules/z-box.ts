import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, type BackwardRule } from '@attrib/core';
import { basicRule } from '../basic-rule.js';
import {
  clampNegative,
  clampPositive,
  divideBySum,
  resolveStabilizer,
  zeroList,
  type StabilizedOptions,
} from './common.js';

export interface ZBoxOptions extends StabilizedOptions {
  /** Lowest input value: a number, or a tensor broadcastable to the input (e.g. per channel `[C]`). */
  readonly low: number | tf.Tensor;
  /** Highest input value, likewise. */
  readonly high: number | tf.Tensor;
}

function bound(value: unknown, name: string): number | tf.Tensor {
  if (value instanceof tf.Tensor || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw invalidArgument('zBox', name, 'a finite number or a tensor broadcastable to the input', value);
}

/**
 * zᴮ for bounded inputs (first layer of an image model): `s = R / stab(z(x) − z(L;W⁺,b⁺) − z(H;W⁻,b⁻))`,
 * `R_in = x ⊙ VJP(s;W) − L ⊙ VJP(s;W⁺) − H ⊙ VJP(s;W⁻)`.
 */
export function zBox(options: ZBoxOptions): BackwardRule {
  const fn = 'zBox';
  if (!options || typeof options !== 'object') throw invalidArgument(fn, 'options', '{ low, high }', options);
  const low = bound(options.low, 'low');
  const high = bound(options.high, 'high');
  const zero = zeroList(options.zeroParams, fn);
  const filled = (value: number | tf.Tensor) => (x: tf.Tensor) => tf.add(tf.zerosLike(x), value);
  return basicRule({
    name: 'zBox',
    passes: [
      { zero },
      { input: filled(low), param: clampPositive, zero, output: tf.neg },
      { input: filled(high), param: clampNegative, zero, output: tf.neg },
    ],
    // The two bound passes are negated on output, so the denominator is their plain sum.
    gradientMapper: divideBySum(resolveStabilizer(options, fn)),
    reducer: ([x, l, h], [gx, gl, gh]) => tf.add(tf.mul(x, gx!), tf.add(tf.mul(l, gl!), tf.mul(h, gh!))),
  });
}
