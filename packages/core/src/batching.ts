import { invalidArgument } from './errors.js';

/** Reported by long methods: `done` of `total` units of work (evaluations, steps, batches). */
export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly stage?: string;
}

export type ProgressCallback = (progress: Progress) => void;

/** Half-open index ranges covering [0, total) in chunks of at most `size` (all of it when size is undefined). */
export function chunkRanges(
  total: number,
  size: number | undefined,
  fn = 'chunkRanges',
  argument = 'internalBatchSize',
): Array<[number, number]> {
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw invalidArgument(fn, argument, 'a positive integer', size);
  }
  const step = size ?? Math.max(total, 1);
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < total; start += step) ranges.push([start, Math.min(total, start + step)]);
  return ranges;
}

/** Lets the event loop run (rendering, input) between chunks of a long computation. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
