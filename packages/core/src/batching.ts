import { invalidArgument } from './errors.js';

/**
 * Reported by long methods: `done` of `total` rows evaluated (one row = one sample through one forward,
 * or forward+backward, pass), so progress means the same in every package.
 */
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

/** A progress callback, checked: a function or nothing. */
export function checkProgress(onProgress: unknown, fn: string): ProgressCallback | undefined {
  if (onProgress === undefined || onProgress === null) return undefined;
  if (typeof onProgress !== 'function') throw invalidArgument(fn, 'onProgress', 'a function', onProgress);
  return onProgress as ProgressCallback;
}

export interface ChunkLoop {
  readonly fn: string;
  readonly onProgress?: ProgressCallback;
  readonly stage?: string;
  /** Rows one item stands for (a path step of N samples is N rows); 1 by default. */
  readonly rowsPerItem?: number;
}

/**
 * The one chunk loop: runs `body` on [start, end) item ranges of at most `size` items, yielding to the
 * event loop between chunks and reporting progress in rows after each.
 */
export async function forEachChunk(
  total: number,
  size: number,
  loop: ChunkLoop,
  body: (start: number, end: number) => void | Promise<void>,
): Promise<void> {
  const onProgress = checkProgress(loop.onProgress, loop.fn);
  const rows = loop.rowsPerItem ?? 1;
  const ranges = chunkRanges(total, Math.max(1, size), loop.fn);
  for (let c = 0; c < ranges.length; c++) {
    if (c > 0) await yieldToEventLoop();
    const [start, end] = ranges[c];
    await body(start, end);
    onProgress?.({ done: end * rows, total: total * rows, stage: loop.stage });
  }
}
