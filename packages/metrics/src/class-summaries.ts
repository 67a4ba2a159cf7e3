import * as tf from '@tensorflow/tfjs-core';
import {
  checkFiniteTensor,
  invalidArgument,
  shapeMismatch,
  streamingStats,
  type StreamingStats,
  type StreamingStatsState,
} from '@attrib/core';

/** Serialisable state of per-class summaries: one streaming-statistics state per class label. */
export interface ClassSummariesState {
  readonly shape: readonly number[];
  readonly classes: Readonly<Record<string, StreamingStatsState>>;
}

/**
 * Per-element mean, variance, min and max of a stream of tensors (attributions, activations), kept
 * per class and overall. Shards summarised apart merge into what one pass gives.
 */
export interface ClassSummaries {
  readonly shape: readonly number[];
  /** Adds a batch `[B, ...shape]` with one class label per row. */
  update(batch: tf.Tensor, labels: ArrayLike<number>): ClassSummaries;
  merge(other: ClassSummaries | ClassSummariesState): ClassSummaries;
  /** Labels seen so far, ascending. */
  classes(): number[];
  /** The statistics of one class. */
  of(label: number): StreamingStats;
  /** All classes together. */
  overall(): StreamingStats;
  state(): ClassSummariesState;
}

const FN = 'classSummaries';

export function classSummaries(shape: readonly number[], from?: ClassSummariesState): ClassSummaries {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1))
    throw invalidArgument(FN, 'shape', 'a list of positive integer sizes (one sample’s shape)', shape);
  const perClass = new Map<number, StreamingStats>();
  for (const [label, state] of Object.entries(from?.classes ?? {}))
    perClass.set(Number(label), streamingStats(shape, state));
  const size = shape.reduce((a, b) => a * b, 1);
  const statsOf = (label: number) => {
    if (!perClass.has(label)) perClass.set(label, streamingStats(shape));
    return perClass.get(label)!;
  };
  const self: ClassSummaries = {
    shape,
    update(batch, labels) {
      if (!(batch instanceof tf.Tensor)) throw invalidArgument(`${FN}.update`, 'batch', 'a tensor', batch);
      if (batch.isDisposed)
        throw invalidArgument(
          `${FN}.update`,
          'batch',
          'a live tensor',
          'a disposed tensor',
          'disposed-tensor',
        );
      checkFiniteTensor(batch, `${FN}.update`, 'batch');
      if (batch.shape.slice(1).join() !== shape.join())
        throw shapeMismatch(`${FN}.update`, 'batch', `[B, ${shape.join(', ')}]`, batch.shape);
      const rows = batch.shape[0];
      if (!labels || labels.length !== rows)
        throw invalidArgument(`${FN}.update`, 'labels', `one integer label per row (${rows})`, labels);
      const data = batch.dataSync();
      const byLabel = new Map<number, number[]>();
      for (let r = 0; r < rows; r++) {
        const label = labels[r];
        if (!Number.isInteger(label))
          throw invalidArgument(`${FN}.update`, 'labels', 'integer labels', label);
        if (!byLabel.has(label)) byLabel.set(label, []);
        byLabel.get(label)!.push(r);
      }
      for (const [label, rowIds] of byLabel) {
        const rowsData = new Float64Array(rowIds.length * size);
        rowIds.forEach((r, i) => rowsData.set(data.subarray(r * size, (r + 1) * size), i * size));
        statsOf(label).update({ data: rowsData, rows: rowIds.length });
      }
      return self;
    },
    merge(other) {
      const state =
        'state' in other && typeof other.state === 'function'
          ? other.state()
          : (other as ClassSummariesState);
      if (state.shape.join() !== shape.join())
        throw shapeMismatch(`${FN}.merge`, 'other', `[${shape.join(', ')}]`, state.shape);
      for (const [label, stats] of Object.entries(state.classes)) statsOf(Number(label)).merge(stats);
      return self;
    },
    classes: () => [...perClass.keys()].sort((a, b) => a - b),
    of(label) {
      const stats = perClass.get(label);
      if (!stats)
        throw invalidArgument(
          `${FN}.of`,
          'label',
          `one of the labels seen (${self.classes().join(', ')})`,
          label,
        );
      return stats;
    },
    overall() {
      const total = streamingStats(shape);
      for (const label of self.classes()) total.merge(perClass.get(label)!);
      return total;
    },
    state: () => ({
      shape: [...shape],
      classes: Object.fromEntries(
        self.classes().map((label) => [String(label), perClass.get(label)!.state()]),
      ),
    }),
  };
  return self;
}
