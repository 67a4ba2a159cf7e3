import * as tf from '@tensorflow/tfjs-core';
import {
  checkFiniteTensor,
  checkOptions,
  checkProgress,
  chunkRanges,
  invalidArgument,
  streamingStats,
  yieldToEventLoop,
  type Graph,
  type StreamingStats,
  type Target,
} from '@attrib/core';
import type { LayerOptions, ProgressOptions, TargetOptions } from './types.js';
import { clusterBatchGradients, clusterLayerRef } from './cluster-batch.js';
import { normaliseClusters, type Clusters, type SourceBatch } from './cluster-sources.js';

export interface ClusterImportanceOptions extends LayerOptions, TargetOptions, ProgressOptions {
  /** Named groups of related inputs; an array is named by index ('0', '1', …). */
  readonly clusters: Clusters;
  /** Rows per forward/backward pass; bounds memory whatever the cluster size. Default 256. */
  readonly internalBatchSize?: number;
  /** @deprecated The old name of `internalBatchSize`. */
  readonly batchSize?: number;
}

/** Importance of every unit of the layer tensor (flattened, NHWC) over one cluster. */
export interface ClusterImportance {
  readonly count: number;
  /** Signed mean of g = ∂out[t]/∂z: positive and negative samples cancel. */
  readonly mean: Float64Array;
  /** Mean of |g|: how strongly the unit moves the output, whatever the direction. */
  readonly meanAbs: Float64Array;
  /** Mean of g ⊙ z (gradient × activation, a first-order contribution). */
  readonly meanGradXAct: Float64Array;
  /** Running statistics behind the means (variance, min, max); `.state()` serialises, `.merge()` combines shards. */
  readonly stats: {
    readonly gradient: StreamingStats;
    readonly absGradient: StreamingStats;
    readonly gradXAct: StreamingStats;
  };
}

const FN = 'clusterNeuronImportance';
const DEFAULT_BATCH_SIZE = 256;

/** The targets of rows [start, end) of a batch; per-sample lists must have one entry per row. */
function chunkTarget(
  target: Target | undefined,
  rows: number,
  start: number,
  end: number,
  argument: string,
): Target | undefined {
  if (target === undefined || typeof target === 'number' || typeof target === 'function') return target;
  const list =
    target instanceof tf.Tensor
      ? Int32Array.from(target.dataSync())
      : Int32Array.from(target as ArrayLike<number>);
  if (list.length !== rows) throw invalidArgument(FN, argument, `one target per sample (${rows})`, target);
  return list.subarray(start, end);
}

function fromStats(stats: ClusterImportance['stats']): ClusterImportance {
  return {
    count: stats.gradient.count,
    mean: stats.gradient.mean(),
    meanAbs: stats.absGradient.mean(),
    meanGradXAct: stats.gradXAct.mean(),
    stats,
  };
}

/** Folds one chunk's gradients and activations into the running statistics (float64, on the host). */
async function accumulate(
  stats: ClusterImportance['stats'],
  gradient: tf.Tensor2D,
  activation: tf.Tensor2D,
): Promise<void> {
  const [rows] = gradient.shape;
  const [g, z] = await Promise.all([gradient.data(), activation.data()]);
  const abs = new Float64Array(g.length);
  const product = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    abs[i] = Math.abs(g[i]);
    product[i] = g[i] * z[i];
  }
  stats.gradient.update({ data: g, rows });
  stats.absGradient.update({ data: abs, rows });
  stats.gradXAct.update({ data: product, rows });
}

/**
 * Scores every unit of `layer` by the gradient of the explained output with respect to it, averaged
 * over each cluster of inputs — signed, absolute and times the activation. One batched forward and
 * backward pass per `internalBatchSize` rows replaces the per-sample loop with backward hooks and gives the
 * same numbers. Signed scores can cancel across samples and classes; `meanAbs` cannot. Streams: a
 * cluster can be an async iterable of batches of any total size. Returns no tensors.
 *
 * ```ts
 * const scores = await clusterNeuronImportance(model, { layer: 'fc1', clusters: { cats, dogs }, target: 3 });
 * scores.cats.meanAbs; // Float64Array, one value per unit of fc1
 * ```
 */
export async function clusterNeuronImportance(
  model: Graph,
  options: ClusterImportanceOptions,
): Promise<Record<string, ClusterImportance>> {
  const o = checkOptions(
    FN,
    options,
    ['layer', 'attributeToLayerInput', 'target', 'clusters', 'internalBatchSize', 'onProgress'],
    { booleans: ['attributeToLayerInput'], aliases: { batchSize: 'internalBatchSize' }, required: true },
  );
  const { layer, attributeToLayerInput, target, internalBatchSize: batchSize = DEFAULT_BATCH_SIZE } = o;
  const onProgress = checkProgress(o.onProgress, FN);
  if (typeof layer !== 'string') throw invalidArgument(FN, 'layer', 'a node name', layer);
  model.node(layer, FN);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw invalidArgument(FN, 'internalBatchSize', 'a positive integer', batchSize);
  const ref = clusterLayerRef(layer, attributeToLayerInput);
  const clusters = normaliseClusters(o.clusters, FN);
  for (const cluster of clusters) {
    if (cluster.size === 0)
      throw invalidArgument(FN, `clusters.${cluster.name}`, 'at least one sample', 'an empty cluster');
  }

  // Samples of sized clusters count up front; streamed ones are added as they arrive.
  let total = clusters.reduce((sum, c) => sum + (c.size ?? 0), 0);
  let done = 0;
  const results: Record<string, ClusterImportance> = {};
  for (const cluster of clusters) {
    let stats: ClusterImportance['stats'] | undefined;
    const score = async (batch: SourceBatch) => {
      const rows = batch.inputs.shape[0] ?? 0;
      const source = batch.targets === undefined ? target : batch.targets;
      const argument = batch.targets === undefined ? 'target' : `clusters.${cluster.name}.targets`;
      if (cluster.size === undefined) total += rows;
      for (const [start, end] of chunkRanges(rows, batchSize, FN, 'internalBatchSize')) {
        // Between chunks only: a setTimeout costs ~1 ms, as much as a whole small batch.
        if (done > 0) await yieldToEventLoop();
        const inputs = rows === end - start ? batch.inputs : tf.slice(batch.inputs, start, end - start);
        try {
          checkFiniteTensor(inputs, FN, `clusters.${cluster.name}`);
          const { gradient, activation } = clusterBatchGradients(
            model,
            inputs,
            ref,
            chunkTarget(source, rows, start, end, argument),
            FN,
          );
          try {
            stats ??= {
              gradient: streamingStats([gradient.shape[1]]),
              absGradient: streamingStats([gradient.shape[1]]),
              gradXAct: streamingStats([gradient.shape[1]]),
            };
            await accumulate(stats, gradient, activation);
          } finally {
            tf.dispose([gradient, activation]);
          }
        } finally {
          if (inputs !== batch.inputs) inputs.dispose();
        }
        done += end - start;
        onProgress?.({ done, total, stage: cluster.name });
      }
    };
    for await (const batch of cluster.batches()) {
      try {
        await score(batch);
      } finally {
        if (batch.owned)
          tf.dispose([batch.inputs, ...(batch.targets instanceof tf.Tensor ? [batch.targets] : [])]);
      }
    }
    if (!stats)
      throw invalidArgument(FN, `clusters.${cluster.name}`, 'at least one sample', 'an empty cluster');
    results[cluster.name] = fromStats(stats);
  }
  return results;
}

/** Combines the scores of two shards of the same cluster (same model and layer), as if scored in one pass. */
export function mergeClusterImportance(a: ClusterImportance, b: ClusterImportance): ClusterImportance {
  const merged = (x: StreamingStats, y: StreamingStats) => streamingStats(x.shape, x.state()).merge(y);
  return fromStats({
    gradient: merged(a.stats.gradient, b.stats.gradient),
    absGradient: merged(a.stats.absGradient, b.stats.absGradient),
    gradXAct: merged(a.stats.gradXAct, b.stats.gradXAct),
  });
}
