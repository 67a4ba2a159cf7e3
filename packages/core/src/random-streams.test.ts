import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectTensorsClose } from '@attrib/test-utils';
import {
  InvalidArgumentError,
  checkSeed,
  normalRows,
  rowStreams,
  seededRandom,
  streamSeed,
  uniformRows,
} from './index.js';

describeWithBackends('random streams', ['cpu', 'wasm'], () => {
  it('gives each row its own stream: a sample draws the same whatever the batch or the chunk', () => {
    const streams = rowStreams(0, (r) => [r]);
    const all = normalRows([6, 4], 1, streams);
    // Rows 2..5 alone, keyed by their global index, are rows 2..5 of the whole.
    const part = normalRows([4, 4], 1, (r) => streams(r + 2));
    expectTensorsClose(part, tf.slice(all, 2, 4), { atol: 0, rtol: 0 });
    // A row is its stream's first draws, literally.
    const third = seededRandom(streamSeed(0, 3));
    expectTensorsClose(tf.slice(all, 3, 1), tf.tensor2d([Array.from({ length: 4 }, () => third.normal())]), {
      atol: 1e-7,
      rtol: 0,
    });
  });

  it('treats 0 as a seed: repeatable, and different from other seeds and keys', () => {
    const a = uniformRows(
      [3, 5],
      rowStreams(0, (r) => [r]),
      -1,
      1,
    );
    const b = uniformRows(
      [3, 5],
      rowStreams(0, (r) => [r]),
      -1,
      1,
    );
    expectTensorsClose(a, b, { atol: 0, rtol: 0 });
    const values = a.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThan(1);
    const seeds = new Set([
      streamSeed(0),
      streamSeed(1),
      streamSeed(0, 0),
      streamSeed(0, 1),
      streamSeed(0, 0, 1),
      streamSeed(0, 1, 0),
    ]);
    expect(seeds.size).toBe(6);
    expect(
      tf.tidy(
        () =>
          tf
            .max(
              tf.abs(
                tf.sub(
                  a,
                  uniformRows(
                    [3, 5],
                    rowStreams(1, (r) => [r]),
                    -1,
                    1,
                  ),
                ),
              ),
            )
            .dataSync()[0],
      ),
    ).toBeGreaterThan(0.1);
  });

  it('gives distinct streams to 4,096 nearby (seed, key, key) triples', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 16; seed++)
      for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) seen.add(streamSeed(seed, a, b));
    expect(seen.size).toBe(16 * 16 * 16);
  });

  it('checks seeds', () => {
    expect(checkSeed('f', undefined)).toBe(0);
    expect(checkSeed('f', 0)).toBe(0);
    expect(() => checkSeed('f', 1.5)).toThrow(InvalidArgumentError);
    expect(() => checkSeed('f', '3', 'noise.seed')).toThrow(/'noise.seed' passed to 'f'/);
  });
});
