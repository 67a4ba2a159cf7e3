import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, shapeMismatch } from './errors.js';
import type { Graph } from './graph.js';
import { suggestion } from './options.js';

/**
 * What a method explains: one tensor (a one-input graph), a list in graph-input order, or a record by
 * graph-input name. Attributions come back in the same structure.
 */
export type AttributionInputs = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;

/** Per-input results in the structure the inputs came in: a tensor, an array, or a record by name. */
export type PerInput<I, T = tf.Tensor> = I extends tf.Tensor
  ? T
  : I extends readonly unknown[]
    ? T[]
    : Record<string, T>;

export interface InputOptions {
  readonly fn: string;
  /**
   * Graph inputs that are not explained (masks, a second sentence's ids, per-sample constants): a record
   * by graph-input name, or a tensor / list that fills the LAST graph inputs (Captum's order). They stay
   * fixed along paths and perturbations and are tiled with the batch.
   */
  readonly additionalInputs?: AttributionInputs | null;
  /**
   * `'gradient'`: the method differentiates with respect to the explained inputs, so integer inputs
   * (token ids) are refused, naming the input. `'values'` (default) accepts them.
   */
  readonly needs?: 'gradient' | 'values';
}

export type SampleOrder = 'copy-major' | 'sample-major';

export interface ResolvedInputs<I = AttributionInputs> {
  readonly fn: string;
  /** The explained inputs, in graph-input order. */
  readonly explained: readonly tf.Tensor[];
  /** Their graph-input names. */
  readonly names: readonly string[];
  /** The fixed inputs, in graph-input order. */
  readonly additional: readonly tf.Tensor[];
  /** Samples per input (the leading axis, equal for every input). */
  readonly batch: number;
  /**
   * The full graph-input list for a forward pass: `explained` (replacements of the explained inputs, e.g.
   * path points, with `copies`·batch rows) and the additional inputs tiled `copies` times, copy-major
   * (row k·N + i is copy k of sample i, like stacked path steps) or sample-major (row i·copies + k).
   * Tiled tensors are cached and freed by `dispose()`.
   */
  assemble(explained: readonly tf.Tensor[], copies?: number, order?: SampleOrder): tf.Tensor[];
  /** Per-explained-input values back in the caller's structure (a tensor, an array, a record). */
  restore<T>(perInput: readonly T[]): PerInput<I, T>;
  /** Frees the tiled additional inputs made by `assemble` (never the caller's tensors). */
  dispose(): void;
}

/** `inputs['ids']` or `inputs[1]`: how an error names one entry of a structure. */
function entryName(argument: string, structure: 'tensor' | 'array' | 'record', key: string | number): string {
  if (structure === 'tensor') return argument;
  return structure === 'array' ? `${argument}[${key}]` : `${argument}['${key}']`;
}

/** Null, non-tensor and disposed entries: typed errors naming the entry. */
function checkTensor(value: unknown, fn: string, argument: string): tf.Tensor {
  if (!(value instanceof tf.Tensor)) throw invalidArgument(fn, argument, 'a tensor', value);
  if (value.isDisposed) {
    throw invalidArgument(fn, argument, 'a live tensor', 'a disposed tensor', 'disposed-tensor');
  }
  return value;
}

/** NaN and ±∞ in a float tensor: a typed error naming the entry and the first bad element. */
export function checkFiniteTensor(tensor: tf.Tensor, fn: string, argument: string): void {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'complex64') return;
  const data = tensor.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw invalidArgument(
        fn,
        argument,
        'finite numbers (no NaN or ±∞)',
        `${data[i]} at flat index ${i}`,
        'non-finite-input',
      );
    }
  }
}

/** Splits a structure into [key, value] entries; a tensor is one entry. */
function entriesOf(
  value: unknown,
  fn: string,
  argument: string,
): { structure: 'tensor' | 'array' | 'record'; entries: Array<[string | number, unknown]> } {
  if (value instanceof tf.Tensor) return { structure: 'tensor', entries: [[0, value]] };
  if (Array.isArray(value)) return { structure: 'array', entries: value.map((v, i) => [i, v]) };
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return { structure: 'record', entries: Object.entries(value) };
  throw invalidArgument(fn, argument, 'a tensor, a list of tensors or a record by graph-input name', value);
}

/**
 * The way in for every method: checks `inputs` (and `additionalInputs`) against the graph, in one place,
 * and gives the graph's ordered input list plus the way back to the caller's structure.
 */
export function resolveInputs<I extends AttributionInputs>(
  graph: Graph,
  inputs: I,
  options: InputOptions,
): ResolvedInputs<I> {
  const { fn } = options;
  const graphNames = graph.inputs.map((i) => i.name);
  const describeNames = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

  // Which graph inputs are fixed: by name, or the last ones for a tensor / list.
  const fixed = new Map<string, tf.Tensor>();
  if (options.additionalInputs !== undefined && options.additionalInputs !== null) {
    const { structure, entries } = entriesOf(options.additionalInputs, fn, 'additionalInputs');
    if (structure === 'record') {
      for (const [key, value] of entries) {
        if (!graphNames.includes(key as string)) {
          throw invalidArgument(
            fn,
            'additionalInputs',
            `a record by graph-input name (${describeNames(graphNames)})${suggestion(key as string, graphNames)}`,
            `a key '${key}'`,
          );
        }
        fixed.set(key as string, checkTensor(value, fn, entryName('additionalInputs', structure, key)));
      }
    } else {
      if (entries.length >= graphNames.length) {
        throw invalidArgument(
          fn,
          'additionalInputs',
          `fewer tensors than the graph's ${graphNames.length} inputs (they fill the last ones)`,
          `${entries.length} tensor(s)`,
        );
      }
      const first = graphNames.length - entries.length;
      entries.forEach(([key, value], k) =>
        fixed.set(
          graphNames[first + k],
          checkTensor(value, fn, entryName('additionalInputs', structure, key)),
        ),
      );
    }
  }
  const names = graphNames.filter((n) => !fixed.has(n));
  const expected = `${names.length === 1 ? 'a tensor' : `${names.length} tensors`} (${describeNames(names)})`;

  if (inputs === null || inputs === undefined) throw invalidArgument(fn, 'inputs', expected, inputs);
  const { structure, entries } = entriesOf(inputs, fn, 'inputs');
  const byName = new Map<string, tf.Tensor>();
  if (structure === 'record') {
    for (const [key, value] of entries) {
      if (!names.includes(key as string)) {
        const why = fixed.has(key as string) ? ' (it is also given in additionalInputs)' : '';
        throw invalidArgument(
          fn,
          'inputs',
          `a record with keys ${describeNames(names)}${suggestion(key as string, names)}${why}`,
          `a key '${key}'`,
        );
      }
      byName.set(key as string, checkTensor(value, fn, entryName('inputs', structure, key)));
    }
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length > 0)
      throw invalidArgument(
        fn,
        'inputs',
        `a record with keys ${describeNames(names)}`,
        `no key '${missing[0]}'`,
      );
  } else {
    if (entries.length !== names.length) throw invalidArgument(fn, 'inputs', expected, inputs);
    entries.forEach(([key, value], k) =>
      byName.set(names[k], checkTensor(value, fn, entryName('inputs', structure, key))),
    );
  }

  const argumentOf = (name: string) =>
    fixed.has(name)
      ? entryName('additionalInputs', fixed.size === 1 ? 'tensor' : 'record', name)
      : structure === 'array'
        ? entryName('inputs', 'array', names.indexOf(name))
        : entryName('inputs', structure, name);
  const all = graphNames.map((n) => byName.get(n) ?? fixed.get(n)!);
  const batch = all[0].rank === 0 ? 0 : all[0].shape[0];
  all.forEach((tensor, k) => {
    const argument = argumentOf(graphNames[k]);
    if (tensor.rank === 0 || tensor.shape[0] === 0) {
      throw invalidArgument(
        fn,
        argument,
        'a batch of at least one sample (a leading batch axis)',
        tensor,
        'empty-batch',
      );
    }
    if (tensor.shape[0] !== batch) {
      throw shapeMismatch(fn, argument, `${batch} samples on axis 0, like every other input`, tensor.shape);
    }
    const declaredDtype = (graph.inputs[k] as { dtype?: string }).dtype;
    const integer = tensor.dtype === 'int32' || tensor.dtype === 'bool' || declaredDtype === 'int32';
    if (integer && options.needs === 'gradient' && byName.has(graphNames[k])) {
      throw invalidArgument(
        fn,
        argument,
        'a float tensor: this method differentiates with respect to its inputs; explain integer inputs ' +
          '(token ids) with a layer method at the embedding, or pass them as additionalInputs',
        `an ${tensor.dtype} tensor for input '${graphNames[k]}'`,
        'integer-input',
      );
    }
  });
  // Declared shapes and dtypes: the graph's own check, naming the input.
  graph.normalizeInputs(all, fn);
  all.forEach((tensor, k) => checkFiniteTensor(tensor, fn, argumentOf(graphNames[k])));

  const explained = names.map((n) => byName.get(n)!);
  const additional = graphNames.filter((n) => fixed.has(n)).map((n) => fixed.get(n)!);
  const tiled = new Map<string, tf.Tensor[]>();
  return {
    fn,
    explained,
    names,
    additional,
    batch,
    assemble(replacements, copies = 1, order = 'copy-major') {
      if (replacements.length !== names.length)
        throw new Error(`${fn}: assemble expects ${names.length} tensors, got ${replacements.length}`);
      const key = `${copies}:${order}`;
      if (!tiled.has(key))
        tiled.set(
          key,
          additional.map((t) => (copies === 1 ? t : tf.keep(repeatRows(t, copies, order)))),
        );
      const fixedRows = tiled.get(key)!;
      let e = 0;
      let a = 0;
      return graphNames.map((n) => (fixed.has(n) ? fixedRows[a++] : replacements[e++]));
    },
    restore<T>(perInput: readonly T[]): PerInput<I, T> {
      if (structure === 'tensor') return perInput[0] as PerInput<I, T>;
      if (structure === 'array') return [...perInput] as PerInput<I, T>;
      return Object.fromEntries(names.map((n, k) => [n, perInput[k]])) as PerInput<I, T>;
    },
    dispose() {
      for (const [key, list] of tiled) if (!key.startsWith('1:')) tf.dispose(list);
      tiled.clear();
    },
  };
}

/**
 * `[copies·N, …]`: every row repeated. Copy-major stacks the batch `copies` times (row k·N + i);
 * sample-major repeats each row in place (row i·copies + k, Captum's `repeat_interleave`).
 */
export function repeatRows(x: tf.Tensor, copies: number, order: SampleOrder = 'copy-major'): tf.Tensor {
  return tf.tidy(() => {
    if (copies === 1) return tf.clone(x);
    if (order === 'copy-major') return tf.tile(x, [copies, ...x.shape.slice(1).map(() => 1)]);
    const rows = x.shape[0];
    const index = Int32Array.from({ length: rows * copies }, (_, j) => Math.floor(j / copies));
    return tf.gather(x, tf.tensor1d(index, 'int32'));
  });
}
