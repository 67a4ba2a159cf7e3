import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  expandTarget,
  forEachChunk,
  invalidArgument,
  normalRows,
  ownResult,
  repeatRows,
  resolveInputs,
  rowStreams,
  guardEngineAsync,
  type AttributionInputs,
  type Disposable,
  type PerInput,
  type Graph,
  type ProgressCallback,
  type ResolvedInputs,
} from '@attrib/core';
import { accumulate } from './approximation-path.js';

/** Attributions as any method returns them: one tensor, a list, or a record (by input or layer name). */
export type Attributions = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;

/** What noiseTunnel needs of a method's result; `delta` (one per row, or per layer) is passed through. */
export interface MethodResult {
  readonly attributions: Attributions;
  readonly delta?: tf.Tensor | Readonly<Record<string, tf.Tensor>>;
}

/**
 * Any attribution method of the common shape `(model, inputs, options) → result`, synchronous (rule
 * methods, `lrp`) or asynchronous (path methods): e.g. `saliency`, `deepLift`, `featureAblation`.
 */
export type AttributionMethod<O = never> = (
  model: Graph,
  // `never`: any method's own inputs and options types (generic ones included) are accepted here.
  inputs: never,
  options: O,
) => MethodResult | Promise<MethodResult>;

export type NoiseTunnelType = 'smoothgrad' | 'smoothgradSq' | 'vargrad';

export interface NoiseTunnelOptions {
  /** Noisy copies of every sample (default 5, as Captum). */
  readonly nSamples?: number;
  /** Standard deviation of the Gaussian noise added to the inputs (default 1, as Captum). */
  readonly stdevs?: number;
  /** Noisy copies per call of the wrapped method (default all: one call on nSamples × N rows). */
  readonly nSamplesBatchSize?: number;
  /** Mean (`smoothgrad`), mean of squares (`smoothgradSq`) or variance (`vargrad`) over the copies. */
  readonly type?: NoiseTunnelType | 'smoothgrad_sq';
  /** Seed of the noise, so a run is reproducible (default 0). */
  readonly seed?: number;
  /** Called after each call of the wrapped method with rows (noisy samples) done. */
  readonly onProgress?: ProgressCallback;
}

/**
 * The tunnel's result: the aggregated attributions in the wrapped method's structure (typed as the
 * inputs'; a layer method's record by layer name comes back as such), and its delta per noisy row.
 */
export interface NoiseTunnelResult<A = Attributions> extends Disposable {
  readonly attributions: A;
  readonly delta?: tf.Tensor | Record<string, tf.Tensor>;
}

const tunnelKeys = ['nSamples', 'stdevs', 'nSamplesBatchSize', 'type', 'seed', 'onProgress'];

/** Tensors of a structure in a fixed order, and the way to rebuild the structure from a list. */
function flatten<T>(value: T | readonly T[] | Readonly<Record<string, T>>, isLeaf: (v: unknown) => boolean) {
  if (isLeaf(value)) return { items: [value as T], rebuild: (list: readonly unknown[]) => list[0] };
  if (Array.isArray(value))
    return { items: [...value] as T[], rebuild: (list: readonly unknown[]) => [...list] };
  const names = Object.keys(value as object);
  return {
    items: names.map((n) => (value as Record<string, T>)[n]),
    rebuild: (list: readonly unknown[]) => Object.fromEntries(names.map((n, k) => [n, list[k]])),
  };
}

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

/**
 * Per-sample options follow the samples into the stacked noisy batch (copy-major, like the noisy
 * rows): the target, additional inputs, and per-input baselines and feature masks whose leading axis
 * is the batch. Returns the options and the tensors made for them.
 */
function expandOptions(
  options: unknown,
  copies: number,
  inputs: ResolvedInputs<unknown>,
  fn: string,
): { options: unknown; owned: tf.Tensor[] } {
  if (!options || typeof options !== 'object') return { options, owned: [] };
  const record: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  const owned: tf.Tensor[] = [];
  const tile = (t: tf.Tensor) => {
    const tiled = repeatRows(t, copies);
    owned.push(tiled);
    return tiled;
  };
  if (record.target !== undefined)
    record.target = expandTarget(record.target as never, copies, inputs.batch, fn);
  if (record.additionalInputs !== undefined && record.additionalInputs !== null) {
    const { items, rebuild } = flatten(record.additionalInputs, isTensor);
    record.additionalInputs = rebuild(items.map((t) => (isTensor(t) ? tile(t) : t)));
  }
  for (const key of ['baselines', 'featureMask']) {
    const value = record[key];
    if (value === undefined || value === null || typeof value !== 'object') continue;
    const { items, rebuild } = flatten(value, isTensor);
    // Entry k belongs to explained input k (by position, or by name in a record).
    const inputOf = (k: number) =>
      Array.isArray(value) || isTensor(value)
        ? inputs.explained[k]
        : inputs.explained[inputs.names.indexOf(Object.keys(value)[k])];
    record[key] = rebuild(
      items.map((entry, k) => {
        const input = inputOf(k);
        const perSample =
          isTensor(entry) &&
          input !== undefined &&
          entry.rank === input.rank &&
          entry.shape[0] === inputs.batch;
        return perSample ? tile(entry) : entry;
      }),
    );
  }
  return { options: record, owned };
}

function checkCount(value: number | undefined, fallback: number, argument: string, fn: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(fn, argument, 'a positive integer', n);
  return n;
}

/**
 * NoiseTunnel (SmoothGrad, SmoothGrad², VarGrad): wraps `method` so that it runs on `nSamples` noisy
 * copies of every explained input, stacked into one batch (or `nSamplesBatchSize` copies per call), and
 * aggregates the attributions per sample. Works with every method of the common shape, synchronous or
 * not; the wrapped method's delta comes back for every noisy row (copy-major: row k·N + i).
 */
export function noiseTunnel<M extends AttributionMethod>(
  method: M,
  tunnel: NoiseTunnelOptions = {},
): <I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: Parameters<M>[2],
) => Promise<NoiseTunnelResult<PerInput<I>>> {
  type O = Parameters<M>[2];
  const fn = 'noiseTunnel';
  if (typeof method !== 'function')
    throw invalidArgument(fn, 'method', 'an attribution function (model, inputs, options)', method);
  const t = checkOptions(fn, tunnel, tunnelKeys);
  const nSamples = checkCount(t.nSamples, 5, 'nSamples', fn);
  const perCall = Math.min(nSamples, checkCount(t.nSamplesBatchSize, nSamples, 'nSamplesBatchSize', fn));
  const stdev = t.stdevs ?? 1;
  if (typeof stdev !== 'number' || !Number.isFinite(stdev) || stdev < 0)
    throw invalidArgument(fn, 'stdevs', 'a finite number ≥ 0', stdev);
  const seed = checkSeed(fn, t.seed);
  const type = t.type === 'smoothgrad_sq' ? 'smoothgradSq' : (t.type ?? 'smoothgrad');
  if (!['smoothgrad', 'smoothgradSq', 'vargrad'].includes(type))
    throw invalidArgument(fn, 'type', "'smoothgrad', 'smoothgradSq' or 'vargrad'", t.type);

  return <I extends AttributionInputs>(model: Graph, inputs: I, options: O) =>
    guardEngineAsync(async (): Promise<NoiseTunnelResult<PerInput<I>>> => {
      const additionalInputs = (options as { additionalInputs?: AttributionInputs } | undefined)
        ?.additionalInputs;
      const resolved = resolveInputs(model, inputs, { fn, additionalInputs });
      const integer = resolved.explained.findIndex((x) => x.dtype !== 'float32');
      if (integer >= 0)
        throw invalidArgument(
          fn,
          'inputs',
          'float inputs (noise is added to them)',
          resolved.explained[integer],
        );
      const batch = resolved.batch;
      let sums: tf.Tensor[] | undefined;
      let squares: tf.Tensor[] | undefined;
      let rebuild: ((list: readonly unknown[]) => unknown) | undefined;
      const deltas: tf.Tensor[][] = [];
      let rebuildDelta: ((list: readonly unknown[]) => unknown) | undefined;
      try {
        await forEachChunk(
          nSamples,
          perCall,
          { fn, onProgress: t.onProgress, stage: 'noisy copies', rowsPerItem: batch },
          async (start, end) => {
            const copies = end - start;
            // Options first: a bad per-sample option throws before any noisy tensor exists.
            const expanded = expandOptions(options, copies, resolved, fn);
            // A stream per (input, copy, sample): the noise depends neither on nSamplesBatchSize nor
            // on the batch size.
            const noise = Array.from({ length: copies }, (_, c) =>
              resolved.explained.map((x, k) =>
                normalRows(
                  x.shape,
                  stdev,
                  rowStreams(seed, (i) => [k, start + c, i]),
                ),
              ),
            );
            const noisy = tf.tidy(() =>
              resolved.explained.map((x, k) =>
                tf.add(
                  repeatRows(x, copies),
                  tf.concat(
                    noise.map((n) => n[k]),
                    0,
                  ),
                ),
              ),
            );
            tf.dispose(noise.flat());
            let result: MethodResult;
            try {
              result = await method(model, resolved.restore(noisy) as never, expanded.options as never);
            } finally {
              tf.dispose([...noisy, ...expanded.owned]);
            }
            const flat = flatten(result.attributions as tf.Tensor, isTensor);
            rebuild = flat.rebuild;
            if (result.delta !== undefined) {
              const d = flatten(result.delta as tf.Tensor, isTensor);
              rebuildDelta = d.rebuild;
              deltas.push(d.items);
            }
            if (!flat.items.every(isTensor))
              throw invalidArgument(
                fn,
                'method',
                'a method returning attribution tensors',
                result.attributions,
              );
            const [part, partSquares] = tf.tidy(() => {
              const perCopy = flat.items.map((a) => tf.reshape(a, [copies, batch, ...a.shape.slice(1)]));
              return [perCopy.map((p) => tf.sum(p, 0)), perCopy.map((p) => tf.sum(tf.square(p), 0))];
            });
            tf.dispose(flat.items);
            sums = part.map((p, k) => accumulate(sums?.[k], p));
            squares = partSquares.map((p, k) => accumulate(squares?.[k], p));
          },
        );
        const attributions = tf.tidy(() =>
          sums!.map((sum, k) => {
            const mean = (x: tf.Tensor) => tf.div(x, nSamples);
            if (type === 'smoothgrad') return mean(sum);
            if (type === 'smoothgradSq') return mean(squares![k]);
            return tf.sub(mean(squares![k]), tf.square(mean(sum)));
          }),
        );
        const delta =
          deltas.length > 0
            ? (rebuildDelta!(
                deltas[0].map((_, k) =>
                  tf.concat(
                    deltas.map((d) => d[k]),
                    0,
                  ),
                ),
              ) as tf.Tensor)
            : undefined;
        return ownResult({
          attributions: rebuild!(attributions) as PerInput<I>,
          ...(delta ? { delta } : {}),
        });
      } finally {
        tf.dispose([...(sums ?? []), ...(squares ?? []), ...deltas.flat()]);
        resolved.dispose();
      }
    });
}
