import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, type Target } from '@attrib/core';

/** One batch of a cluster: inputs and, optionally, one target per sample (else the call's `target`). */
export interface ClusterBatchInput {
  readonly inputs: tf.Tensor;
  readonly targets?: Target;
}

/**
 * The samples of one cluster: a tensor, a tensor with its targets, or a stream of batches. Tensors
 * given directly stay the caller's; batches yielded by a stream are handed over and disposed once used,
 * so a generator can produce any number of them in bounded memory.
 */
export type ClusterSource = tf.Tensor | ClusterBatchInput | AsyncIterable<ClusterBatchInput>;

export type Clusters = Readonly<Record<string, ClusterSource>> | readonly ClusterSource[];

/** A batch ready to score, and whether this call owns (must dispose) its tensors. */
export interface SourceBatch extends ClusterBatchInput {
  readonly owned: boolean;
}

export interface NormalisedCluster {
  readonly name: string;
  /** Sample count when known up front (not for streams). */
  readonly size: number | undefined;
  batches(): AsyncIterable<SourceBatch>;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ClusterBatchInput> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';

const isBatchInput = (value: unknown): value is ClusterBatchInput =>
  typeof value === 'object' && value !== null && (value as { inputs?: unknown }).inputs instanceof tf.Tensor;

/** Checks each cluster's kind up front, so a bad one fails before any work is done. */
export function normaliseClusters(clusters: Clusters, fn: string): NormalisedCluster[] {
  if (typeof clusters !== 'object' || clusters === null) {
    throw invalidArgument(
      fn,
      'clusters',
      'a record (or array) of tensors, {inputs, targets?} or async iterables',
      clusters,
    );
  }
  const entries: Array<[string, unknown]> = Array.isArray(clusters)
    ? clusters.map((c, i) => [String(i), c])
    : Object.entries(clusters);
  if (entries.length === 0) throw invalidArgument(fn, 'clusters', 'at least one cluster', clusters);
  return entries.map(([name, source]) => {
    if (source instanceof tf.Tensor || isBatchInput(source)) {
      const batch: ClusterBatchInput = source instanceof tf.Tensor ? { inputs: source } : source;
      return {
        name,
        size: batch.inputs.shape[0],
        batches: async function* () {
          yield { ...batch, owned: false };
        },
      };
    }
    if (isAsyncIterable(source)) {
      return {
        name,
        size: undefined,
        batches: async function* () {
          for await (const batch of source) {
            if (!isBatchInput(batch)) {
              throw invalidArgument(fn, `clusters.${name}`, 'to yield {inputs: Tensor, targets?}', batch);
            }
            yield { ...batch, owned: true };
          }
        },
      };
    }
    throw invalidArgument(
      fn,
      `clusters.${name}`,
      'a tensor, {inputs, targets?} or an async iterable of {inputs, targets?}',
      source,
    );
  });
}
