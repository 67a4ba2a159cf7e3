import * as tf from '@tensorflow/tfjs-core';
import { bytesPerRow, getMemoryBudget, loadModel, setMemoryBudget } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, tinyModels } from '@attrib/test-utils';
import { integratedGradients } from './index.js';

/**
 * The highest `tf.memory().numBytes` reached while `body` runs, above where it started: the engine's
 * byte counter is watched on every write, so the peak inside a kernel's backward is seen too.
 */
async function peakBytes(body: () => Promise<void>): Promise<number> {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  const start = state.numBytes;
  let value = start;
  let peak = start;
  Object.defineProperty(state, 'numBytes', {
    configurable: true,
    get: () => value,
    set: (v: number) => {
      value = v;
      if (v > peak) peak = v;
    },
  });
  try {
    await body();
  } finally {
    Object.defineProperty(state, 'numBytes', { configurable: true, writable: true, value });
  }
  return peak - start;
}

/**
 * Without `internalBatchSize`, path methods size their passes from core's memory budget: the peak of
 * tensor bytes stays within the budget however many rows the call has (it grew with batch × steps and
 * broke the wasm backend at IG-50, batch 640, on cnn_small). Shown on a tiny CNN with a small budget.
 */
describeWithBackends('memory budget', ['cpu', 'wasm'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = tf.randomUniform([16, 4, 4, 2], -1, 1, 'float32', 7);

  async function run(options: Record<string, unknown>) {
    let result: { attributions: tf.Tensor; dispose(): void } | undefined;
    const peak = await peakBytes(async () => {
      result = await integratedGradients(model, x, { target: 1, nSteps: 50, ...options });
    });
    return { peak, result: result! };
  }

  it('the budget bounds the peak of a call; the same call in one pass takes ten times more', async () => {
    // 64 rows per pass: 4 path steps of 16 samples (the whole call is 800 rows).
    const budget = 64 * bytesPerRow(model, [x], 'test');
    const previous = setMemoryBudget(budget);
    let budgeted;
    try {
      budgeted = await run({});
    } finally {
      setMemoryBudget(previous);
    }
    const perCall = await run({ memoryBudget: budget });
    const onePass = await run({ internalBatchSize: 16 * 50 });
    expect(budgeted.peak).toBeLessThan(budget);
    expect(perCall.peak).toBe(budgeted.peak);
    expect(onePass.peak).toBeGreaterThan(8 * budgeted.peak);
    expectTensorsClose(budgeted.result.attributions, onePass.result.attributions, { atol: 1e-5 });
    expect(getMemoryBudget()).toBe(previous);
    for (const r of [budgeted, onePass, perCall]) r.result.dispose();
  });
});
