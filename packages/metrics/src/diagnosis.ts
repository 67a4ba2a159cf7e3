import * as tf from '@tensorflow/tfjs-core';
import {
  ablationReplacement,
  createScorer,
  evaluateMasked,
  forEachChunk,
  getKind,
  gradients,
  resolveInputs,
  rowsPerPass,
  tensorRefKey,
  type Graph,
} from '@attrib/core';
import { knockoutHook } from '@attrib/perturbation';
import type { CurveSet } from './curve-summary.js';
import { quantile, spearman, trapezoid } from './statistics.js';

/** The significance level of the verdicts' p-values. */
export const DIAGNOSIS_ALPHA = 0.05;
/** A scorer "agrees" with another when their Spearman correlation reaches this. */
const AGREES = 0.5;
/** A signed mean keeping less than this share of the mean |score| has lost the ranking to cancellation. */
const CANCELLED = 0.5;

/** Per-unit evidence of one cluster, from one gradient pass on its ranking part (float64). */
export interface UnitEvidence {
  /** Mean activation and its standard deviation over the ranking part. */
  readonly activationMean: number[];
  readonly activationStd: number[];
  /** Signed mean and mean |·| of the gradient and of gradient × activation. */
  readonly gradientMean: number[];
  readonly gradientMeanAbs: number[];
  readonly gradXActMean: number[];
  readonly gradXActMeanAbs: number[];
}

/** What replacing one unit at a time does: the mean drop of the target logit on the evaluation part. */
export interface SingleAblation {
  readonly mode: 'zero' | 'mean' | 'value';
  readonly drop: number[];
}

export interface ScorerDiagnosis {
  /** Σ|signed mean| / Σ mean|score| over units (1: no cancellation); null where the scorer has no per-sample scores. */
  readonly signCancellation: {
    readonly signedMean: number;
    readonly meanAbs: number;
    readonly ratio: number;
    /** Units whose signed mean keeps under 10% of their mean |score|. */
    readonly cancelledUnits: number[];
  } | null;
  /** Spearman correlation of this scorer's scores with each reference ranking. */
  readonly agreement: Readonly<Record<string, number | null>>;
  /** Damage (target-logit drop) of ablating the scorer's top k together, against the sum of their single damages. */
  readonly redundancy: { readonly k: number; readonly together: number; readonly sumOfSingles: number };
  /** From the accuracy curves. */
  readonly pValue: number;
  readonly randomMinusTop: number;
  /** Top-k's area lies inside the 95% band of the random seeds' areas. */
  readonly withinRandomBand: boolean;
  /** Random seeds needed for p ≤ 0.05 if the share of seeds at least as damaging stays as observed; null: none suffice. */
  readonly seedsNeeded: number | null;
  /** Which verdict applies (a stable code) and the sentence. */
  readonly cause:
    | 'uses'
    | 'sign-cancellation'
    | 'redundant'
    | 'disagrees-with-ablation'
    | 'too-few-seeds'
    | 'within-random-band'
    | 'beats-random';
  readonly verdict: string;
}

export interface ClusterDiagnosis {
  readonly evidence: UnitEvidence;
  /** Single-unit ablation in the requested mode (the ground truth of `agreement.ablation`), and in the other mode. */
  readonly ablation: SingleAblation;
  readonly otherAblation: SingleAblation;
  /** Spearman correlation of the two modes' single drops; the sentences report both when it is below 0.5. */
  readonly modeAgreement: number | null;
  /** When the layer is an elementwise activation: the same ablation before it, and its Spearman ρ with `ablation`. */
  readonly preActivation?: SingleAblation;
  readonly preActivationAgreement?: number | null;
  /** Units that are 0 on every sample (gradient × activation and zero ablation see nothing). */
  readonly dead: number[];
  /** Active units whose gradient is 0 on every sample (gradient scorers cannot see them). */
  readonly saturated: number[];
  /** Units with a non-zero gradient whose single ablation changes nothing: the next layer's bias absorbs them. */
  readonly biasAbsorbed: number[];
  readonly scorers: Readonly<Record<string, ScorerDiagnosis>>;
  /** Plain sentences: the cluster's causes, then one verdict per scorer. */
  readonly sentences: string[];
}

export interface DiagnosisInput {
  readonly model: Graph;
  readonly layer: string;
  readonly at: 'output' | 'input';
  readonly mode: 'zero' | 'mean' | 'value';
  readonly value?: number | tf.Tensor;
  /** Inputs whose mean layer tensor replaces units in mode 'mean' (and in the comparison mode). */
  readonly reference: tf.Tensor;
  readonly ranking: { readonly inputs: tf.Tensor; readonly labels: Int32Array };
  readonly evaluation: { readonly inputs: tf.Tensor; readonly labels: Int32Array };
  /** Each scorer's scores and accuracy curves; `perSample` names the built-in statistic behind it. */
  readonly scorers: Readonly<
    Record<
      string,
      {
        scores: readonly number[];
        ranking: readonly number[];
        accuracy: CurveSet;
        perSample?: 'gradient' | 'gradientAbs' | 'gradXAct';
      }
    >
  >;
  /** x axis of the curves (k / units). */
  readonly fractions: readonly number[];
  readonly perturbationsPerEval?: number;
  /** Rows per gradient pass of the evidence (default: core's memory budget). */
  readonly internalBatchSize?: number;
  readonly fn: string;
}

/**
 * Per-unit means over the ranking part, in chunks of `internalBatchSize` rows (core's `gradients`: one
 * forward + backward pass per chunk), summed on the host in float64.
 */
async function unitEvidence(input: DiagnosisInput): Promise<UnitEvidence> {
  const { model, layer, at, ranking, fn } = input;
  const ref = at === 'input' ? { node: layer, at: 'input' as const } : layer;
  const key = tensorRefKey(ref);
  const rows = ranking.inputs.shape[0];
  const size = rowsPerPass(model, [ranking.inputs], { fn, explicit: input.internalBatchSize });
  // Per unit: Σz, Σz², Σg, Σ|g|, Σgz, Σ|gz|.
  let sums: Float64Array | undefined;
  await forEachChunk(rows, size, { fn, stage: 'diagnosis' }, (start, end) => {
    const chunk = tf.slice(ranking.inputs, start, end - start);
    const result = gradients(model, chunk, {
      target: ranking.labels.subarray(start, end),
      tensors: [ref],
      inputGradients: false,
      fn,
    });
    const g = result.tensorGradients.get(key)!.dataSync();
    const z = result.activations.get(key)!.dataSync();
    // gradients() returns kept tensors (no tidy would free them): dispose every one.
    tf.dispose([
      chunk,
      result.output,
      result.objective,
      ...result.inputGradients,
      ...result.tensorGradients.values(),
      ...result.activations.values(),
    ]);
    const units = g.length / (end - start);
    sums ??= new Float64Array(6 * units);
    for (let i = 0; i < g.length; i++) {
      const u = (i % units) * 6;
      sums[u] += z[i];
      sums[u + 1] += z[i] * z[i];
      sums[u + 2] += g[i];
      sums[u + 3] += Math.abs(g[i]);
      sums[u + 4] += g[i] * z[i];
      sums[u + 5] += Math.abs(g[i] * z[i]);
    }
  });
  const units = sums!.length / 6;
  const mean = (j: number) => Array.from({ length: units }, (_, u) => sums![u * 6 + j] / rows);
  const activationMean = mean(0);
  return {
    activationMean,
    // Var z = E z² − (E z)², clipped at 0 against rounding.
    activationStd: mean(1).map((m2, u) => Math.sqrt(Math.max(0, m2 - activationMean[u] ** 2))),
    gradientMean: mean(2),
    gradientMeanAbs: mean(3),
    gradXActMean: mean(4),
    gradXActMeanAbs: mean(5),
  };
}

/**
 * Mean target-logit drop on the evaluation part for each keep mask (1 = kept), in one batched masked
 * evaluation (core's engine: the evaluation batch tiled once per mask, a knockout hook per chunk).
 */
async function maskDrops(
  input: DiagnosisInput,
  mode: 'zero' | 'mean' | 'value',
  masks: readonly Float32Array[],
  unitShape: number[],
  at: 'output' | 'input' = input.at,
): Promise<number[]> {
  const { model, layer, evaluation, fn } = input;
  const resolved = resolveInputs(model, evaluation.inputs, { fn });
  const replacement = ablationReplacement(
    model,
    { node: layer, at, mode, reference: input.reference, value: input.value },
    fn,
    unitShape,
  );
  try {
    const scorer = createScorer(model, resolved, { fn, target: evaluation.labels });
    const rows = resolved.batch;
    const units = masks[0].length;
    const values = await evaluateMasked(scorer, [], {
      total: masks.length,
      perturbationsPerEval: input.perturbationsPerEval,
      hooks: (start, end) => {
        const keepData = new Float32Array((end - start) * rows * units);
        for (let m = start; m < end; m++)
          for (let r = 0; r < rows; r++) keepData.set(masks[m], ((m - start) * rows + r) * units);
        // Freed by evaluateMasked's tidy around the chunk, after the pass that reads it.
        const keep = tf.tensor(keepData, [(end - start) * rows, ...unitShape]);
        return [knockoutHook({ node: layer, at, keep, replacement, name: fn })];
      },
    });
    return masks.map((_, m) => {
      let drop = 0;
      for (let r = 0; r < rows; r++) drop += scorer.reference[r] - values[m * rows + r];
      return drop / rows;
    });
  } finally {
    if (replacement instanceof tf.Tensor) replacement.dispose();
    resolved.dispose();
  }
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));
const list = (items: readonly (number | string)[]) => items.join(', ');
/** 'unit 3' or 'units 1, 2'. */
const unitList = (units: readonly number[]) => `unit${units.length === 1 ? '' : 's'} ${list(units)}`;
const capital = (text: string) => text[0].toUpperCase() + text.slice(1);

/** Random seeds needed for (1 + qS)/(1 + S) ≤ α, q the observed share of seeds at least as damaging as top-k. */
function seedsNeeded(curve: CurveSet): number | null {
  const seeds = curve.random.perSeed.length;
  const q = (curve.pValue * (1 + seeds) - 1) / seeds;
  if (q >= DIAGNOSIS_ALPHA) return null;
  return Math.ceil((1 - DIAGNOSIS_ALPHA) / (DIAGNOSIS_ALPHA - q));
}

/**
 * Why a layer's unit rankings do (or do not) beat random ablation for one cluster: per-unit evidence,
 * single-unit ablation in two modes as ground truth, dead / saturated / bias-absorbed units, and per
 * scorer sign cancellation, agreement, redundancy, the random band and a verdict sentence.
 */
export async function diagnoseCluster(input: DiagnosisInput): Promise<ClusterDiagnosis> {
  const evidence = await unitEvidence(input);
  const units = evidence.activationMean.length;
  const unitShape = tf.tidy(() => {
    const result = input.model.forward([tf.slice(input.evaluation.inputs, 0, 1)], { fn: input.fn });
    return (
      input.at === 'input' ? result.nodeInputs.get(input.layer)![0] : result.values.get(input.layer)!
    ).shape.slice(1);
  });
  const single = (u: number) => Float32Array.from({ length: units }, (_, v) => (v === u ? 0 : 1));
  const names = Object.keys(input.scorers);
  const k = Math.min(units, Math.max(2, Math.round(units / 4)));
  const topK = names.map((name) => {
    const keep = new Float32Array(units).fill(1);
    for (const u of input.scorers[name].ranking.slice(0, k)) keep[u] = 0;
    return keep;
  });
  const singles = Array.from({ length: units }, (_, u) => single(u));
  const drops = await maskDrops(input, input.mode, [...singles, ...topK], unitShape);
  const ablation: SingleAblation = { mode: input.mode, drop: drops.slice(0, units) };
  const otherMode = input.mode === 'mean' ? 'zero' : 'mean';
  const otherAblation: SingleAblation = {
    mode: otherMode,
    drop: await maskDrops(input, otherMode, singles, unitShape),
  };
  // An elementwise activation has one pre-activation per unit: ablating before it can rank units differently.
  const elementwise =
    input.at === 'output' &&
    getKind(input.model.node(input.layer, input.fn).module.kind)?.behaviour?.map === 'elementwise';
  const preActivation: SingleAblation | undefined = elementwise
    ? { mode: input.mode, drop: await maskDrops(input, input.mode, singles, unitShape, 'input') }
    : undefined;
  const constant = (d: readonly number[]) => d.every((x) => x === d[0]);
  const rho = (a: readonly number[], b: readonly number[]) =>
    constant(a) || constant(b) ? null : spearman(a, b);
  const modeAgreement = rho(ablation.drop, otherAblation.drop);
  const preActivationAgreement = preActivation ? rho(ablation.drop, preActivation.drop) : undefined;

  const scale = Math.max(...evidence.activationMean.map(Math.abs), ...evidence.activationStd, 1e-12);
  const gScale = Math.max(...evidence.gradientMeanAbs, 1e-12);
  const dropScale = Math.max(...ablation.drop.map(Math.abs), ...otherAblation.drop.map(Math.abs), 1e-12);
  const tiny = 1e-6;
  const all = Array.from({ length: units }, (_, u) => u);
  const dead = all.filter(
    (u) => Math.abs(evidence.activationMean[u]) + evidence.activationStd[u] <= tiny * scale,
  );
  const saturated = all.filter((u) => !dead.includes(u) && evidence.gradientMeanAbs[u] <= tiny * gScale);
  const biasAbsorbed = all.filter(
    (u) =>
      !dead.includes(u) &&
      evidence.gradientMeanAbs[u] > tiny * gScale &&
      Math.abs(ablation.drop[u]) <= 1e-3 * dropScale,
  );

  const references: Record<string, number[]> = {
    gradient: evidence.gradientMean,
    gradientAbs: evidence.gradientMeanAbs,
    gradXAct: evidence.gradXActMean,
    activation: evidence.activationMean,
    ablation: ablation.drop,
  };
  const partial = names.map((name, s) => {
    const scorer = input.scorers[name];
    const perSample =
      scorer.perSample === 'gradient'
        ? [evidence.gradientMean, evidence.gradientMeanAbs]
        : scorer.perSample === 'gradXAct'
          ? [evidence.gradXActMean, evidence.gradXActMeanAbs]
          : scorer.perSample === 'gradientAbs'
            ? [evidence.gradientMeanAbs, evidence.gradientMeanAbs]
            : undefined;
    const signCancellation = perSample
      ? (() => {
          const signedMean = perSample[0].reduce((a, x) => a + Math.abs(x), 0);
          const meanAbs = perSample[1].reduce((a, x) => a + x, 0);
          return {
            signedMean,
            meanAbs,
            ratio: meanAbs === 0 ? 1 : signedMean / meanAbs,
            cancelledUnits: all.filter((u) => Math.abs(perSample[0][u]) < 0.1 * perSample[1][u]),
          };
        })()
      : null;
    const agreement = Object.fromEntries(
      Object.entries(references).map(([ref, values]) => [ref, rho(scorer.scores, values)]),
    );
    const curve = scorer.accuracy;
    const seedAreas = curve.random.perSeed.map((c) => trapezoid(input.fractions, c));
    const withinRandomBand =
      curve.areas.top >= quantile(seedAreas, 0.025) && curve.areas.top <= quantile(seedAreas, 0.975);
    const together = drops[units + s];
    const sumOfSingles = scorer.ranking.slice(0, k).reduce((a, u) => a + ablation.drop[u], 0);
    return {
      name,
      signCancellation,
      agreement,
      redundancy: { k, together, sumOfSingles },
      pValue: curve.pValue,
      randomMinusTop: curve.areas.randomMinusTop,
      withinRandomBand,
      seedsNeeded: seedsNeeded(curve),
    };
  });
  const seeds = input.scorers[names[0]].accuracy.random.perSeed.length;
  const noneBeatsRandom = partial.every((d) => d.pValue > DIAGNOSIS_ALPHA);
  const scorers: Record<string, ScorerDiagnosis> = {};
  for (const d of partial) {
    const { redundancy } = d;
    const truth = d.agreement.ablation;
    const redundant =
      redundancy.together > 0 && redundancy.together > 1.5 * Math.max(redundancy.sumOfSingles, 0);
    const [cause, verdict]: [ScorerDiagnosis['cause'], string] =
      d.pValue <= DIAGNOSIS_ALPHA && truth !== null && truth >= AGREES
        ? [
            'uses',
            `ranks units by what the model uses (p = ${fmt(d.pValue)}, Spearman ρ with single-unit ablation ${fmt(truth)})`,
          ]
        : d.signCancellation && d.signCancellation.ratio < CANCELLED
          ? [
              'sign-cancellation',
              `averaging cancels signs: use |gradient| or gradient×activation (the signed mean keeps ${fmt(100 * d.signCancellation.ratio)}% of the mean |score|; cancelled units ${list(d.signCancellation.cancelledUnits)})`,
            ]
          : noneBeatsRandom && redundant
            ? [
                'redundant',
                `no scorer beats random: the layer is redundant for this cluster (top ${redundancy.k} together drop the target logit by ${fmt(redundancy.together)}, their single ablations by ${fmt(redundancy.sumOfSingles)} in all)`,
              ]
            : truth !== null && truth < AGREES
              ? [
                  'disagrees-with-ablation',
                  `ranks units unlike what ablating them does (Spearman ρ with single-unit ablation ${fmt(truth)}, p = ${fmt(d.pValue)})`,
                ]
              : d.pValue > DIAGNOSIS_ALPHA && d.seedsNeeded !== null && d.seedsNeeded > seeds
                ? [
                    'too-few-seeds',
                    `too few random seeds to tell: p = ${fmt(d.pValue)} with ${seeds} seeds; about ${d.seedsNeeded} would be needed`,
                  ]
                : d.pValue > DIAGNOSIS_ALPHA
                  ? [
                      'within-random-band',
                      `no better than random: top-k ablation is ${d.withinRandomBand ? 'within the random band' : 'no more damaging than random'} (p = ${fmt(d.pValue)}, random − top area ${fmt(d.randomMinusTop)}); no number of seeds would separate them`,
                    ]
                  : [
                      'beats-random',
                      // Reached only without a ρ: every single-unit drop (or every score) is equal.
                      `beats random (p = ${fmt(d.pValue)}), though units ablated one at a time all do the same damage, so nothing ranks them`,
                    ];
    const { name, ...numbers } = d;
    scorers[name] = { ...numbers, cause, verdict };
  }
  const sentences: string[] = [];
  if (dead.length)
    sentences.push(
      `Dead ${unitList(dead)}: 0 on every sample, so gradient×activation and zero ablation see nothing there.`,
    );
  if (saturated.length)
    sentences.push(
      `Saturated ${unitList(saturated)}: active but with a zero gradient on every sample, invisible to gradient scorers.`,
    );
  if (biasAbsorbed.length)
    sentences.push(
      `${capital(unitList(biasAbsorbed))} ${biasAbsorbed.length === 1 ? 'has a gradient but removing it' : 'have a gradient but removing them'} (${input.mode} ablation) changes nothing: the next layer's bias absorbs ${biasAbsorbed.length === 1 ? 'it' : 'them'}.`,
    );
  if (modeAgreement !== null && modeAgreement < AGREES)
    sentences.push(
      `${input.mode} and ${otherMode} ablation disagree on which units matter (Spearman ρ ${fmt(modeAgreement)}): ${input.mode} drops ${list(ablation.drop.map(fmt))}; ${otherMode} drops ${list(otherAblation.drop.map(fmt))}.`,
    );
  if (preActivation && preActivationAgreement != null && preActivationAgreement < AGREES)
    sentences.push(
      `${input.mode} ablation before the activation (the input of '${input.layer}') and after it disagree (Spearman ρ ${fmt(preActivationAgreement)}): before drops ${list(preActivation.drop.map(fmt))}.`,
    );
  for (const name of names) sentences.push(`${name}: ${scorers[name].verdict}.`);
  return {
    evidence,
    ablation,
    otherAblation,
    modeAgreement,
    ...(preActivation ? { preActivation, preActivationAgreement } : {}),
    dead,
    saturated,
    biasAbsorbed,
    scorers,
    sentences,
  };
}
