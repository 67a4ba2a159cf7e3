import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import { guardEngine, guardEngineAsync } from './index.js';

describeWithBackends('guardEngine', ['cpu', 'wasm'], () => {
  it('after a failure mid-gradient with scopes left open, frees everything and the next gradient works', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const failing = () =>
      guardEngine(() =>
        tf.grad((v: tf.Tensor) => {
          const y = tf.sum(tf.square(v));
          // What an engine failure inside a kernel can leave: a scope that is never ended.
          tf.engine().startScope('abandoned');
          tf.mul(y, 2);
          throw new Error('induced failure');
        })(x),
      );
    expect(failing).toThrow('induced failure');
    expect(tf.memory().numTensors).toBe(before);
    const state = (tf.engine() as unknown as { state: { activeTape: unknown; gradientDepth: number } }).state;
    expect(state.activeTape).toBeNull();
    expect(state.gradientDepth).toBe(0);
    const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(x);
    expect(Array.from(gradient.dataSync())).toEqual([2, 4, 6]);
    gradient.dispose();
  });

  it('async: a rejection after a chunk leaves the engine usable', async () => {
    await expect(
      guardEngineAsync(async () => {
        await Promise.resolve();
        tf.engine().startScope('abandoned');
        tf.ones([3]);
        throw new Error('second chunk failed');
      }),
    ).rejects.toThrow('second chunk failed');
    expect((tf.engine() as unknown as { state: { scopeStack: unknown[] } }).state.scopeStack).toHaveLength(0);
  });
});
