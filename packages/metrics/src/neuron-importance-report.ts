import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, invalidArgument, type Graph, type ProgressCallback } from '@attrib/core';
import { clusterNeuronImportance, type ClusterImportance } from '@attrib/gradients';
import { neuronAblationCurves, type AblationMetric, type LabelledInputs } from './neuron-ablation.js';
import type { CurveSet } from './curve-summary.js';
import { randomPermutation, seededRandom } from '@attrib/core';
import { numberInRange } from './checks.js';
import { diagnoseCluster, type ClusterDiagnosis, type ScorerDiagnosis } from './diagnosis.js';

/** Scores every unit of the layer from a cluster's ranking part; higher = more important. */
export type NeuronScorer = (
  model: Graph,
  context: {
    readonly layer: string;
    readonly at: 'output' | 'input';
    readonly inputs: tf.Tensor;
    readonly labels: Int32Array;
  },
) => ArrayLike<number> | tf.Tensor | Promise<ArrayLike<number> | tf.Tensor>;

/** Gradient scores of `clusterNeuronImportance` (target = each sample's label). */
export const builtinScorers = {
  gradient: (s: ClusterImportance) => s.mean,
  gradientAbs: (s: ClusterImportance) => s.meanAbs,
  gradXAct: (s: ClusterImportance) => s.meanGradXAct,
} as const;
export type BuiltinScorer = keyof typeof builtinScorers;

export interface NeuronImportanceReportOptions {
  /** Scoring methods: built-in names, or a record of names to built-ins or scorer functions. Default ['gradXAct', 'gradientAbs']. */
  readonly methods?: readonly BuiltinScorer[] | Readonly<Record<string, BuiltinScorer | NeuronScorer>>;
  readonly at?: 'output' | 'input';
  /** Share of each cluster held out for the ablation curves (default 0.5); the rest ranks the units. */
  readonly holdout?: number;
  /** Seed of the ranking/evaluation split. */
  readonly splitSeed?: number;
  readonly seeds?: number | readonly number[];
  readonly ks?: readonly number[];
  readonly mode?: 'zero' | 'mean' | 'value';
  /** Inputs whose mean activation replaces ablated units (mode 'mean'); default all ranking parts. */
  readonly reference?: tf.Tensor;
  readonly value?: number | tf.Tensor;
  /** Rows per gradient pass when scoring (core's name; default: the memory budget). */
  readonly internalBatchSize?: number;
  /** @deprecated The former name of `internalBatchSize`. */
  readonly batchSize?: number;
  readonly perturbationsPerEval?: number;
  /** Diagnose each cluster and scorer (single-unit ablations in two modes, verdicts). Default true. */
  readonly diagnose?: boolean;
  readonly onProgress?: ProgressCallback;
}

export interface MethodReport {
  readonly scores: number[];
  readonly ranking: number[];
  readonly cluster: Record<AblationMetric, CurveSet>;
  readonly offCluster?: Record<AblationMetric, CurveSet>;
  /** Why this scorer does or does not beat random, with the numbers behind the verdict. */
  readonly diagnosis?: ScorerDiagnosis;
}

export interface NeuronImportanceReport {
  readonly format: 'attrib-neuron-report/1';
  readonly layer: string;
  readonly at: 'output' | 'input';
  readonly mode: 'zero' | 'mean' | 'value';
  readonly units: number;
  readonly ks: number[];
  readonly fractions: number[];
  readonly seeds: number[];
  readonly clusters: Record<
    string,
    {
      readonly rankingSize: number;
      readonly evaluationSize: number;
      readonly methods: Record<string, MethodReport>;
      /** The cluster's evidence and causes (its scorers' verdicts are in `methods[name].diagnosis`). */
      readonly diagnosis?: Omit<ClusterDiagnosis, 'scorers'>;
    }
  >;
}

const FN = 'neuronImportanceReport';

function resolveMethods(
  methods: NeuronImportanceReportOptions['methods'],
): Array<[string, BuiltinScorer | NeuronScorer]> {
  const entries: Array<[string, unknown]> = Array.isArray(methods)
    ? methods.map((m) => [String(m), m])
    : Object.entries(
        (methods as Record<string, unknown> | undefined) ?? {
          gradXAct: 'gradXAct',
          gradientAbs: 'gradientAbs',
        },
      );
  if (entries.length === 0) throw invalidArgument(FN, 'methods', 'at least one method', methods);
  for (const [name, method] of entries) {
    if (typeof method !== 'function' && !(typeof method === 'string' && method in builtinScorers)) {
      throw invalidArgument(
        FN,
        `methods.${name}`,
        `one of ${Object.keys(builtinScorers).join(', ')} or a scorer function`,
        method,
      );
    }
  }
  return entries as Array<[string, BuiltinScorer | NeuronScorer]>;
}

/** Seeded split of each cluster into a ranking part and a held-out evaluation part. */
function split(name: string, cluster: LabelledInputs, holdout: number, seed: number) {
  if (!cluster || !(cluster.inputs instanceof tf.Tensor))
    throw invalidArgument(FN, `clusters.${name}.inputs`, 'a tensor of model inputs', cluster?.inputs);
  const n = cluster.inputs.shape[0];
  const labels = Int32Array.from(cluster.labels ?? []);
  if (labels.length !== n)
    throw invalidArgument(FN, `clusters.${name}.labels`, `one class index per sample (${n})`, cluster.labels);
  if (n < 2)
    throw invalidArgument(
      FN,
      `clusters.${name}`,
      'at least two samples (one to rank, one to evaluate)',
      `${n}`,
    );
  const order = randomPermutation(n, seededRandom(seed));
  const evaluationSize = Math.min(n - 1, Math.max(1, Math.round(holdout * n)));
  const part = (ids: Int32Array) => ({
    inputs: tf.tidy(() => tf.gather(cluster.inputs, tf.tensor1d(ids, 'int32'))),
    labels: Int32Array.from(ids, (i) => labels[i]),
  });
  return { evaluation: part(order.slice(0, evaluationSize)), ranking: part(order.slice(evaluationSize)) };
}

/**
 * The whole neuron-importance workflow in one call: for each cluster, score the layer's units with
 * each method on one part of the cluster, then ablate them top-k / bottom-k / random-k on the held-out
 * part (and on the other clusters' held-out parts), with areas and p-values, and a diagnosis per cluster
 * and method (`diagnoseCluster`: why a ranking does or does not beat random, with a verdict sentence).
 * Plain JSON-serialisable numbers come back; no tensors.
 */
export async function neuronImportanceReport(
  model: Graph,
  layer: string,
  clusters: Readonly<Record<string, LabelledInputs>>,
  rawOptions: NeuronImportanceReportOptions = {},
): Promise<NeuronImportanceReport> {
  const options = checkOptions(
    FN,
    rawOptions,
    [
      'methods',
      'at',
      'holdout',
      'splitSeed',
      'seeds',
      'ks',
      'mode',
      'reference',
      'value',
      'internalBatchSize',
      'perturbationsPerEval',
      'diagnose',
      'onProgress',
    ],
    { aliases: { batchSize: 'internalBatchSize' }, booleans: ['diagnose'] },
  );
  if (typeof layer !== 'string') throw invalidArgument(FN, 'layer', 'a node name', layer);
  model.node(layer, FN);
  if (typeof clusters !== 'object' || clusters === null || Object.keys(clusters).length === 0) {
    throw invalidArgument(FN, 'clusters', 'a record of {inputs, labels} by cluster name', clusters);
  }
  const methods = resolveMethods(options.methods);
  const at = options.at ?? 'output';
  const mode = options.mode ?? 'zero';
  const holdout = numberInRange(FN, 'holdout', options.holdout ?? 0.5, 0, 1);
  const names = Object.keys(clusters);
  const parts = new Map<string, ReturnType<typeof split>>();
  const owned: tf.Tensor[] = [];
  try {
    for (const [index, name] of names.entries()) {
      const part = split(name, clusters[name], holdout, (options.splitSeed ?? 0) + index);
      parts.set(name, part);
      owned.push(part.evaluation.inputs, part.ranking.inputs);
    }
    const diagnose = options.diagnose ?? true;
    // The diagnosis compares the requested mode with mean ablation, so it needs a reference too.
    const reference =
      options.reference ??
      (mode === 'mean' || diagnose ? tf.concat(names.map((n) => parts.get(n)!.ranking.inputs)) : undefined);
    if (reference && reference !== options.reference) owned.push(reference);
    const total = names.length * methods.length;
    let done = 0;
    const report: Record<string, NeuronImportanceReport['clusters'][string]> = {};
    let shared: Omit<NeuronImportanceReport, 'format' | 'layer' | 'at' | 'mode' | 'clusters'> | undefined;
    for (const name of names) {
      const { ranking, evaluation } = parts.get(name)!;
      const others = names.filter((n) => n !== name);
      const offCluster = others.length
        ? {
            inputs: tf.concat(others.map((n) => parts.get(n)!.evaluation.inputs)),
            labels: Int32Array.from(others.flatMap((n) => [...parts.get(n)!.evaluation.labels])),
          }
        : undefined;
      if (offCluster) owned.push(offCluster.inputs);
      let gradientScores: ClusterImportance | undefined;
      const methodReports: Record<string, MethodReport> = {};
      for (const [methodName, method] of methods) {
        let scores: number[];
        if (typeof method === 'string') {
          gradientScores ??= (
            await clusterNeuronImportance(model, {
              layer,
              attributeToLayerInput: at === 'input',
              clusters: { [name]: { inputs: ranking.inputs, targets: ranking.labels } },
              internalBatchSize: options.internalBatchSize,
            })
          )[name];
          scores = Array.from(builtinScorers[method](gradientScores));
        } else {
          const result = await method(model, { layer, at, inputs: ranking.inputs, labels: ranking.labels });
          scores = Array.from(result instanceof tf.Tensor ? result.dataSync() : result);
          if (result instanceof tf.Tensor) result.dispose();
        }
        const curves = await neuronAblationCurves(model, {
          layer,
          at,
          scores,
          evaluation,
          offCluster,
          ks: options.ks,
          seeds: options.seeds,
          mode,
          reference,
          value: options.value,
          perturbationsPerEval: options.perturbationsPerEval,
        });
        shared ??= { units: curves.units, ks: curves.ks, fractions: curves.fractions, seeds: curves.seeds };
        methodReports[methodName] = {
          scores,
          ranking: curves.ranking,
          cluster: curves.cluster,
          ...(curves.offCluster ? { offCluster: curves.offCluster } : {}),
        };
        options.onProgress?.({ done: ++done, total, stage: `${name}/${methodName}` });
      }
      let clusterDiagnosis: Omit<ClusterDiagnosis, 'scorers'> | undefined;
      if (diagnose) {
        const { scorers, ...rest } = await diagnoseCluster({
          model,
          layer,
          at,
          mode,
          value: options.value,
          reference: reference!,
          ranking,
          evaluation,
          fractions: shared!.fractions,
          perturbationsPerEval: options.perturbationsPerEval,
          internalBatchSize: options.internalBatchSize,
          fn: FN,
          scorers: Object.fromEntries(
            methods.map(([methodName, method]) => [
              methodName,
              {
                scores: methodReports[methodName].scores,
                ranking: methodReports[methodName].ranking,
                accuracy: methodReports[methodName].cluster.accuracy,
                perSample: typeof method === 'string' ? method : undefined,
              },
            ]),
          ),
        });
        for (const [methodName] of methods)
          methodReports[methodName] = { ...methodReports[methodName], diagnosis: scorers[methodName] };
        clusterDiagnosis = rest;
      }
      report[name] = {
        rankingSize: ranking.labels.length,
        evaluationSize: evaluation.labels.length,
        methods: methodReports,
        ...(clusterDiagnosis ? { diagnosis: clusterDiagnosis } : {}),
      };
    }
    return { format: 'attrib-neuron-report/1', layer, at, mode, ...shared!, clusters: report };
  } finally {
    tf.dispose(owned);
  }
}
