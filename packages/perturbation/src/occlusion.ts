import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  createScorer,
  evaluateMasked,
  invalidArgument,
  ownResult,
  resolveBaselines,
  resolveModelInputs,
  type AttributionInputs,
  type Baselines,
  type MaskedModel,
  type PerInput,
  type Target,
} from '@attrib/core';
import { PERTURBATION_OPTIONS, type AttributionResult, type PerturbationOptions } from './common.js';
import { windowGrid, type WindowGrid } from './windows.js';

/** One entry per non-batch axis, NHWC order; for several inputs a list (or record) of those per input. */
export type PerAxis =
  readonly number[] | readonly (readonly number[])[] | Readonly<Record<string, readonly number[]>>;

export interface OcclusionOptions extends PerturbationOptions {
  readonly target?: Target;
  /** Window size per non-batch axis, NHWC order (e.g. [kh, kw, C]); per input for several inputs. */
  readonly slidingWindowShapes: PerAxis;
  /** Step per non-batch axis (default 1 on every axis); per input for several inputs. */
  readonly strides?: PerAxis;
  /** What an occluded element becomes, per input (core's `resolveBaselines`); default 0. */
  readonly baselines?: Baselines | null;
}

const FN = 'occlusion';
const KNOWN = [...PERTURBATION_OPTIONS, 'target', 'slidingWindowShapes', 'strides', 'baselines'];

/** `value` as one per-axis list per input: a list for one input, a list or record of lists for several. */
function perInput(value: unknown, names: readonly string[], argument: string): unknown[] {
  if (names.length === 1) return [value];
  if (Array.isArray(value) && value.length === names.length && value.every(Array.isArray)) return value;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const unknown = Object.keys(record).find((k) => !names.includes(k));
    if (unknown === undefined) return names.map((n) => record[n]);
  }
  throw invalidArgument(
    FN,
    argument,
    `one list per explained input (${names.length}: ${names.join(', ')}), as a list or a record by name`,
    value,
  );
}

/**
 * Captum's Occlusion: for every window, diff = f(x)[t] − f(x with the window set to the baseline)[t];
 * each element gets the mean diff of the windows covering it. Windows start at multiples of the
 * stride and are cropped at the far edge. With several inputs, each input has its own windows and
 * strides, and a window occludes only its input (Captum with tuples).
 */
export async function occlusion<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  rawOptions: OcclusionOptions,
): Promise<AttributionResult<I>> {
  const options = checkOptions(FN, rawOptions, KNOWN);
  const resolved = resolveModelInputs(model, inputs, { fn: FN, additionalInputs: options.additionalInputs });
  let baselines: tf.Tensor[] = [];
  try {
    const scorer = createScorer(model, resolved, { fn: FN, target: options.target, hooks: options.hooks });
    const samples = resolved.explained.map((x) => x.shape.slice(1));
    const windows = perInput(options.slidingWindowShapes, resolved.names, 'slidingWindowShapes');
    const strides =
      options.strides === undefined
        ? samples.map((sample) => sample.map(() => 1))
        : perInput(options.strides, resolved.names, 'strides');
    const grids: WindowGrid[] = samples.map((sample, k) =>
      windowGrid(sample, windows[k] as number[], strides[k] as number[], FN),
    );
    baselines = resolveBaselines(options.baselines, resolved, FN);
    const sizes = samples.map((sample) => sample.reduce((a, b) => a * b, 1));
    // Windows of input 0 first, then input 1's, …: perturbation p belongs to input owner(p).
    const firsts = grids.map((_, k) => grids.slice(0, k).reduce((n, g) => n + g.count, 0));
    const total = grids.reduce((n, g) => n + g.count, 0);
    const owner = (p: number) => {
      let k = firsts.length - 1;
      while (p < firsts[k]) k--;
      return k;
    };
    const values = await evaluateMasked(scorer, baselines, {
      total,
      perturbationsPerEval: options.perturbationsPerEval,
      memoryBudget: options.memoryBudget,
      onProgress: options.onProgress,
      keep(start, end) {
        const present = sizes.map((size) => new Float32Array((end - start) * size).fill(1));
        for (let p = start; p < end; p++) {
          const k = owner(p);
          grids[k].forEachElement(p - firsts[k], (flat) => (present[k][(p - start) * sizes[k] + flat] = 0));
        }
        return present.map((data, k) => tf.tensor(data, [end - start, 1, ...samples[k]]));
      },
    });
    const { nOut, reference } = scorer;
    const attributions = grids.map((grid, k) => {
      const size = sizes[k];
      const sums = new Float64Array(nOut * size);
      const covered = new Float64Array(size);
      for (let w = 0; w < grid.count; w++) {
        const p = firsts[k] + w;
        grid.forEachElement(w, (flat) => {
          covered[flat] += 1;
          for (let n = 0; n < nOut; n++) sums[n * size + flat] += reference[n] - values[p * nOut + n];
        });
      }
      const result = new Float32Array(nOut * size);
      for (let n = 0; n < nOut; n++) {
        for (let i = 0; i < size; i++)
          result[n * size + i] = covered[i] > 0 ? sums[n * size + i] / covered[i] : 0;
      }
      return tf.tensor(result, [nOut, ...samples[k]]);
    });
    return ownResult({ attributions: resolved.restore(attributions) as PerInput<I> });
  } finally {
    tf.dispose(baselines);
    resolved.dispose();
  }
}
