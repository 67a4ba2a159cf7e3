import {
  elementGroups,
  invalidArgument,
  seededRandom,
  suggestion,
  type AttributionInputs,
  type MaskedModel,
} from '@attrib/core';
import { type AttributionResult } from './common.js';
import {
  COALITION_OPTIONS,
  withCoalitionGame,
  type CoalitionGame,
  type CoalitionOptions,
} from './coalitions.js';
import type { LinearFitOptions } from './linear-fit.js';
import { checkSamples, fitSurrogate } from './surrogate.js';

export interface LimeOptions extends CoalitionOptions {
  /** Random coalitions (each group present with probability ½; default 50, as Captum). */
  readonly nSamples?: number;
  /** Width of the similarity kernel exp(−d²/width²) on the cosine distance d (default 1). */
  readonly kernelWidth?: number;
  /** The interpretable model: lasso with α 0.01 by default (Captum's), or ridge / plain least squares. */
  readonly interpretableModel?: LinearFitOptions;
  readonly seed?: number;
}

const FN = 'lime';

/**
 * LIME with Captum's defaults: random coalitions, weighted by the similarity of the perturbed input
 * to the input (exponential kernel on the cosine distance in input space, all explained inputs as
 * one vector), and a linear surrogate of f(·)[t] on the coalition flags whose coefficients are the
 * attributions.
 */
export async function lime<I extends AttributionInputs>(
  model: MaskedModel,
  inputs: I,
  options?: LimeOptions,
): Promise<AttributionResult<I>> {
  const known = [...COALITION_OPTIONS, 'nSamples', 'kernelWidth', 'interpretableModel', 'seed'];
  return withCoalitionGame(model, inputs, options, { fn: FN, known }, async (game, checked) => {
    const samples = checkSamples(FN, checked.nSamples ?? 50);
    const width = checked.kernelWidth ?? 1;
    if (!(typeof width === 'number' && width > 0 && Number.isFinite(width)))
      throw invalidArgument(FN, 'kernelWidth', 'a positive number', width);
    const seed = checked.seed ?? 0;
    if (!Number.isInteger(seed)) throw invalidArgument(FN, 'seed', 'an integer', seed);
    const fit = interpretableModel(checked.interpretableModel);
    const random = seededRandom(seed);
    const coalitions = Float32Array.from({ length: samples * game.groups }, () => (random() < 0.5 ? 0 : 1));
    const similarity = cosineSimilarities(game, coalitions, samples);
    const weight = (r: number, n: number) => Math.exp(-((1 - similarity[n * samples + r]) ** 2) / width ** 2);
    return fitSurrogate(game, { coalitions, samples, weight, fit });
  });
}

/** The surrogate's fit, checked (a misspelled key or a NaN α would give NaN or silently other weights). */
function interpretableModel(value: unknown): LinearFitOptions {
  const argument = 'interpretableModel';
  if (value === undefined) return { penalty: 'l1', alpha: 0.01 };
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    throw invalidArgument(FN, argument, "{ penalty: 'none' | 'l2' | 'l1', alpha }", value);
  const known = ['penalty', 'alpha'];
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw invalidArgument(
        FN,
        argument,
        `an object with keys 'penalty' and 'alpha'${suggestion(key, known)}`,
        `an unknown key '${key}'`,
        'unknown-option',
      );
  }
  const { penalty = 'none', alpha = 0 } = value as { penalty?: unknown; alpha?: unknown };
  if (penalty !== 'none' && penalty !== 'l2' && penalty !== 'l1')
    throw invalidArgument(FN, `${argument}.penalty`, "'none', 'l2' or 'l1'", penalty);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0)
    throw invalidArgument(FN, `${argument}.alpha`, 'a finite number ≥ 0', alpha);
  return { penalty, alpha };
}

/**
 * cos(x_n, perturbed_{r,n}) for every coalition r and sample n, from per-group sums of x², x·b and
 * b² (the perturbed input takes x on present groups and b elsewhere), without building the inputs.
 */
function cosineSimilarities(game: CoalitionGame, coalitions: Float32Array, samples: number): Float64Array {
  const { groups, mask, inputs } = game;
  const { batch } = inputs;
  const shapes = inputs.explained.map((x) => x.shape);
  const groupOf = elementGroups(mask, shapes);
  const xs = inputs.explained.map((x) => x.dataSync());
  const bs = game.baselines.map((b) => b.dataSync());
  // A forward with one scalar per batch has one "sample": the whole batch as one vector.
  const rows = game.scorer.aggregate ? 1 : batch;
  const xx = new Float64Array(rows * groups);
  const xb = new Float64Array(rows * groups);
  const bb = new Float64Array(rows * groups);
  for (let n = 0; n < batch; n++) {
    const ids = groupOf(n);
    let offset = 0;
    xs.forEach((x, i) => {
      const size = x.length / batch;
      for (let j = 0; j < size; j++) {
        const slot = (rows === 1 ? 0 : n) * groups + ids[offset + j];
        const [xv, bv] = [x[n * size + j], bs[i][n * size + j]];
        xx[slot] += xv * xv;
        xb[slot] += xv * bv;
        bb[slot] += bv * bv;
      }
      offset += size;
    });
  }
  const result = new Float64Array(rows * samples);
  for (let n = 0; n < rows; n++) {
    let normX = 0;
    for (let g = 0; g < groups; g++) normX += xx[n * groups + g];
    for (let r = 0; r < samples; r++) {
      let dot = 0;
      let normP = 0;
      for (let g = 0; g < groups; g++) {
        const present = coalitions[r * groups + g] === 1;
        dot += present ? xx[n * groups + g] : xb[n * groups + g];
        normP += present ? xx[n * groups + g] : bb[n * groups + g];
      }
      // torch's cosine_similarity clamps each norm at 1e-8.
      result[n * samples + r] = dot / (Math.max(Math.sqrt(normX), 1e-8) * Math.max(Math.sqrt(normP), 1e-8));
    }
  }
  return result;
}
