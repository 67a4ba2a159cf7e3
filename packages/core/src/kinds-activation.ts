import * as tf from '@tensorflow/tfjs-core';
import { normalizeAxis, pickJson, requireParam, type KindParams } from './kind-config.js';
import type { Config, KindBehaviour, KindDefinition } from './module.js';

/*
 * Activation kinds. tfjs registers no gradient for its comparison kernels (Greater, LessEqual, Equal),
 * and its own gradients of relu6, clipByValue, selu, prelu and max use them, so a second-order gradient
 * through those ops throws. Each piecewise kind below is therefore written with `relu`, whose gradient
 * (`step`) is differentiable: relu6(x) = relu(x) − relu(x − 6), clip = x − relu(x − max) + relu(min − x).
 * The values agree with the direct formulas to float32 rounding; the kinks sit where they are, with the
 * gradient at a kink being relu's (0 on the right side of `relu(x − a)` at x = a).
 */

/*
 * tfjs's gradients of exp, sigmoid, tanh and softmax read the op's saved output, a copy the tape does not
 * connect to the input, so their second-order gradient throws ("Cannot compute gradient of y = f(x)").
 * The kinds here build them from expm1, whose gradient recomputes e^x from the input, splitting x into
 * a = max(x, 0) and b = x − a = min(x, 0) so that every expm1 reads a non-positive argument: nothing
 * overflows in either pass (the pairs are exact where one part is 0), and da/dx + db/dx = 1 everywhere,
 * x = 0 included, where relu's own derivative is 0 and b carries the slope.
 */

function splitSigns(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const a = tf.relu(x);
  return [a, tf.sub(x, a)];
}

/**
 * e^z for z ≤ 0 as 1/(expm1(−z) + 1), precise to float32 rounding. z is held at ≥ −87 (e^−87 ≈ 1.6e−38,
 * the float32 normal range), so that the backward's (expm1(−z) + 1)² stays finite and no 0·∞ appears.
 */
function expNonPositive(z: tf.Tensor): tf.Tensor {
  const held = tf.add(z, tf.relu(tf.sub(-87, z)));
  return tf.reciprocal(tf.add(tf.expm1(tf.neg(held)), 1));
}

/** e^x with a second-order gradient: (expm1(a) + 1)·e^b. */
export function expSmooth(x: tf.Tensor): tf.Tensor {
  const [a, b] = splitSigns(x);
  return tf.mul(tf.add(tf.expm1(a), 1), expNonPositive(b));
}

/** 1/(1 + e^−x) = e^b/(e^b + e^−a): both exponentials of non-positive numbers, the sum ≥ 1. */
function sigmoidSmooth(x: tf.Tensor): tf.Tensor {
  const [a, b] = splitSigns(x);
  const eb = expNonPositive(b);
  return tf.div(eb, tf.add(eb, expNonPositive(tf.neg(a))));
}

/** tanh(z) = expm1(2z)/(expm1(2z) + 2) for z ≤ 0, odd: tanh(x) = T(b) − T(−a). Precise near 0. */
function tanhSmooth(x: tf.Tensor): tf.Tensor {
  const half = (z: tf.Tensor) => {
    const m = tf.expm1(tf.mul(z, 2));
    return tf.div(m, tf.add(m, 2));
  };
  const [a, b] = splitSigns(x);
  return tf.sub(half(b), half(tf.neg(a)));
}

function optionalNumber(config: Config, key: string, fallback: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new Error(`'${key}' must be a number, got ${JSON.stringify(config[key])}`);
  }
  return value;
}

function elementwise(
  kind: string,
  fn: (x: tf.Tensor, config: Config, params: KindParams) => tf.Tensor,
  options: {
    keys?: string[];
    paramNames?: string[];
    validate?: KindDefinition['validate'];
    behaviour?: KindBehaviour;
  } = {},
): KindDefinition {
  return {
    kind,
    category: 'activation',
    // y_i = f(x_i): DeepLift's rescale rule, LRP passes relevance through.
    behaviour: options.behaviour ?? { map: 'elementwise', lrp: 'activation' },
    arity: 1,
    paramNames: options.paramNames ?? [],
    fromJson: pickJson(...(options.keys ?? [])),
    validate: options.validate,
    forward: ([x], params, config) => fn(x, config, params),
  };
}

/** min(max(x, min), max) from relu alone (see above); an infinite bound drops its term. */
function clipByRelu(x: tf.Tensor, min: number, max: number): tf.Tensor {
  let y = x;
  if (max !== Infinity) y = tf.sub(y, tf.relu(tf.sub(x, max)));
  if (min !== -Infinity) y = tf.add(y, tf.relu(tf.sub(min, x)));
  return y === x ? tf.clone(x) : y;
}

function clipBounds(config: Config): { min: number; max: number } {
  const min = optionalNumber(config, 'min', -Infinity);
  const max = optionalNumber(config, 'max', Infinity);
  if (!(min <= max)) throw new Error(`'min' (${min}) must not exceed 'max' (${max})`);
  return { min, max };
}

function hardSigmoidOf(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return clipByRelu(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

/**
 * Runs `fn` (which works on the last axis) along `axis` of `x`, transposing that axis last and back.
 * tfjs's softmax only takes the last axis.
 */
export function alongAxis(x: tf.Tensor, axis: number, fn: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const index = normalizeAxis(axis, x.rank, 'axis');
  if (index === x.rank - 1) return fn(x);
  const perm = [...Array(x.rank).keys()];
  perm[index] = x.rank - 1;
  perm[x.rank - 1] = index;
  return tf.transpose(fn(tf.transpose(x, perm)), perm);
}

/**
 * x − max(x) along the last axis (≤ 0, so the exponentials below stay in range). `tf.max`'s gradient
 * uses `Equal`, which has none, so the maximum is read through a one-hot mask of argMax, whose ops have
 * (zero) gradients. The shift's own derivative cancels in softmax and log-softmax exactly.
 */
function shiftByRowMax(x: tf.Tensor): tf.Tensor {
  const mask = tf.cast(tf.oneHot(tf.argMax(x, -1), x.shape[x.rank - 1]), x.dtype);
  return tf.sub(x, tf.sum(tf.mul(x, mask), -1, true));
}

/** Softmax along any axis but the batch axis (negative counts from the end), second order included. */
export function softmaxAlong(x: tf.Tensor, axis: number): tf.Tensor {
  return alongAxis(x, axis, (t) => {
    const e = expNonPositive(shiftByRowMax(t));
    return tf.div(e, tf.sum(e, -1, true));
  });
}

/** x − logsumexp(x) along the last axis (tfjs's `logSoftmax` is a custom gradient with no second order). */
function logSoftmaxLastAxis(x: tf.Tensor): tf.Tensor {
  const shifted = shiftByRowMax(x);
  return tf.sub(shifted, tf.log(tf.sum(expNonPositive(shifted), -1, true)));
}

function checkAxis(_params: KindParams, config: Config): void {
  const axis = config.axis ?? -1;
  if (!Number.isInteger(axis)) throw new Error(`'axis' must be an integer, got ${JSON.stringify(axis)}`);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
// tf.selu's constants (Klambauer et al. 2017; torch.nn.SELU and Keras use the same).
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** The activation kinds of kinds-activation.ts (README: "Built-in kinds"). */
export const activationKindDefinitions: readonly KindDefinition[] = [
  elementwise('relu6', (x) => clipByRelu(x, 0, 6)),
  elementwise(
    'clip',
    (x, c) => {
      const { min, max } = clipBounds(c);
      return clipByRelu(x, min, max);
    },
    { keys: ['min', 'max'], validate: (_p, c) => void clipBounds(c) },
  ),
  elementwise(
    'gelu',
    (x, c) => {
      const half = tf.mul(x, 0.5);
      if (c.approximate === 'tanh') {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
        return tf.mul(half, tf.add(tanhSmooth(inner), 1));
      }
      // erf's gradient, 2/√π·e^(−x²), is written with ops in tfjs, so this form has every order.
      return tf.mul(half, tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    },
    {
      keys: ['approximate'],
      validate: (_p, c) => {
        if (c.approximate !== undefined && c.approximate !== 'none' && c.approximate !== 'tanh') {
          throw new Error(`'approximate' must be 'none' or 'tanh', got ${JSON.stringify(c.approximate)}`);
        }
      },
    },
  ),
  elementwise('swish', (x, c) => tf.mul(x, sigmoidSmooth(tf.mul(x, optionalNumber(c, 'beta', 1)))), {
    keys: ['beta'],
    validate: (_p, c) => void optionalNumber(c, 'beta', 1),
  }),
  // selu(x) = λ·(relu(x) + α·(e^min(x,0) − 1)), min(x, 0) = −relu(−x); λ, α as in tf.selu and torch.
  elementwise('selu', (x) =>
    tf.mul(tf.add(tf.relu(x), tf.mul(tf.expm1(tf.neg(tf.relu(tf.neg(x)))), SELU_ALPHA)), SELU_SCALE),
  ),
  elementwise(
    'hardSigmoid',
    (x, c) => hardSigmoidOf(x, optionalNumber(c, 'alpha', 0.2), optionalNumber(c, 'beta', 0.5)),
    {
      keys: ['alpha', 'beta'],
      validate: (_p, c) => {
        optionalNumber(c, 'alpha', 0.2);
        optionalNumber(c, 'beta', 0.5);
      },
    },
  ),
  elementwise('hardSwish', (x) => tf.mul(x, hardSigmoidOf(x, 1 / 6, 0.5))),
  elementwise(
    'prelu',
    (x, _c, params) => {
      const alpha = params.alpha!;
      if (alpha.rank >= x.rank) {
        throw new Error(
          `'alpha' of shape [${alpha.shape}] must have a lower rank than the input [${x.shape}] (it broadcasts over one sample)`,
        );
      }
      // relu(x) − α·relu(−x): x where x > 0, α·x elsewhere.
      return tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x))));
    },
    { paramNames: ['alpha'], validate: (p) => void requireParam(p, 'alpha') },
  ),
  elementwise('exp', expSmooth),
  elementwise(
    'logSoftmax',
    (x, c) => alongAxis(x, (c.axis as number | undefined) ?? -1, logSoftmaxLastAxis),
    {
      keys: ['axis'],
      validate: checkAxis,
      // Each output reads the whole axis (as softmax): DeepLift has no rule for it; LRP passes it.
      behaviour: { map: 'other', lrp: 'activation' },
    },
  ),
];
