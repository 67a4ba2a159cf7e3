import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from './errors.js';
import { checkFiniteTensor, type ResolvedInputs } from './inputs.js';
import { resolveBaseline } from './validate.js';

/** One input's reference: a number (broadcast) or a tensor of the input's shape or one sample's shape. */
export type Baseline = number | tf.Tensor;

/**
 * Baselines for every explained input: one `Baseline` for all (or for the only input), a list in
 * input order, or a record by graph-input name; absent entries are zero.
 */
export type Baselines =
  Baseline | readonly (Baseline | null | undefined)[] | Readonly<Record<string, Baseline>>;

/**
 * One owned tensor per explained input, broadcast to that input's shape, checked finite, and in the
 * input's dtype (an integer input takes an integer baseline, e.g. a padding id).
 */
export function resolveBaselines(
  baselines: Baselines | null | undefined,
  inputs: ResolvedInputs<unknown>,
  fn: string,
  argument = 'baselines',
): tf.Tensor[] {
  const n = inputs.explained.length;
  let perInput: Array<Baseline | null | undefined>;
  let names: string[];
  if (baselines === undefined || baselines === null || typeof baselines === 'number') {
    perInput = new Array<Baseline | null | undefined>(n).fill(baselines);
    names = inputs.names.map(() => argument);
  } else if (baselines instanceof tf.Tensor) {
    if (n !== 1)
      throw invalidArgument(fn, argument, `a list or record of ${n} baselines (one per input)`, baselines);
    perInput = [baselines];
    names = [argument];
  } else if (Array.isArray(baselines)) {
    if (baselines.length !== n)
      throw invalidArgument(fn, argument, `a list of ${n} baselines (one per input)`, baselines);
    perInput = [...baselines];
    names = perInput.map((_, k) => `${argument}[${k}]`);
  } else if (typeof baselines === 'object' && Object.getPrototypeOf(baselines) === Object.prototype) {
    const record = baselines as Readonly<Record<string, Baseline>>;
    const unknown = Object.keys(record).find((k) => !inputs.names.includes(k));
    if (unknown !== undefined)
      throw invalidArgument(
        fn,
        argument,
        `a record by explained input name (${inputs.names.join(', ')})`,
        `a key '${unknown}'`,
      );
    perInput = inputs.names.map((name) => record[name]);
    names = inputs.names.map((name) => `${argument}['${name}']`);
  } else {
    throw invalidArgument(fn, argument, 'a number, a tensor, a list or a record by input name', baselines);
  }
  const owned: tf.Tensor[] = [];
  try {
    perInput.forEach((baseline, k) => {
      const input = inputs.explained[k];
      if (baseline instanceof tf.Tensor && baseline.isDisposed)
        throw invalidArgument(fn, names[k], 'a live tensor', 'a disposed tensor', 'disposed-tensor');
      const resolved = resolveBaseline(baseline, input, fn, names[k]);
      owned.push(resolved);
      checkFiniteTensor(resolved, fn, names[k]);
      if (input.dtype !== resolved.dtype) {
        if (input.dtype === 'int32' && !resolved.dataSync().every(Number.isInteger))
          throw invalidArgument(
            fn,
            names[k],
            `whole numbers for the int32 input '${inputs.names[k]}'`,
            baseline,
          );
        owned[k] = tf.cast(resolved, input.dtype);
        resolved.dispose();
      }
    });
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }
  return owned;
}

/**
 * A distribution of references per explained input (GradientShap, DeepLiftShap): `[M, …one sample's
 * shape]` each, the same M for every input; a tensor (one input), a list, or a record by input name.
 * Returns the caller's tensors, checked (live, shape, finite), in input order.
 */
export function resolveBaselineDistribution(
  baselines: tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>> | null | undefined,
  inputs: ResolvedInputs<unknown>,
  fn: string,
  argument = 'baselines',
): tf.Tensor[] {
  const n = inputs.explained.length;
  const expected = `${n === 1 ? 'a tensor' : `a list or record of ${n} tensors`} [M, …one sample's shape]`;
  let list: unknown[];
  let names: string[];
  if (baselines instanceof tf.Tensor && n === 1) {
    list = [baselines];
    names = [argument];
  } else if (Array.isArray(baselines) && baselines.length === n) {
    list = [...baselines];
    names = list.map((_, k) => `${argument}[${k}]`);
  } else if (
    baselines !== null &&
    typeof baselines === 'object' &&
    Object.getPrototypeOf(baselines) === Object.prototype &&
    Object.keys(baselines).every((k) => inputs.names.includes(k))
  ) {
    list = inputs.names.map((name) => (baselines as Record<string, tf.Tensor>)[name]);
    names = inputs.names.map((name) => `${argument}['${name}']`);
  } else {
    throw invalidArgument(fn, argument, expected, baselines);
  }
  const m = list[0] instanceof tf.Tensor ? list[0].shape[0] : undefined;
  return list.map((value, k) => {
    if (!(value instanceof tf.Tensor)) throw invalidArgument(fn, names[k], expected, value);
    if (value.isDisposed)
      throw invalidArgument(fn, names[k], 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    const sample = inputs.explained[k].shape.slice(1);
    if (
      value.rank !== sample.length + 1 ||
      value.shape.slice(1).join() !== sample.join() ||
      value.shape[0] < 1
    )
      throw shapeMismatch(fn, names[k], `[M, ${sample}] (M ≥ 1 baseline samples)`, value.shape);
    if (value.shape[0] !== m)
      throw shapeMismatch(
        fn,
        names[k],
        `[${m}, ${sample}] (as many samples as the first input's)`,
        value.shape,
      );
    checkFiniteTensor(value, fn, names[k]);
    return value;
  });
}
