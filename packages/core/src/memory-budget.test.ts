import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import {
  GraphBuilder,
  InvalidArgumentError,
  bytesPerRow,
  getMemoryBudget,
  rowsPerPass,
  setMemoryBudget,
} from './index.js';

describeWithBackends('memory budget', ['cpu'], () => {
  // x[100] → linear(50): a row holds 100 + 50 floats = 600 bytes forward, ×12 for the backward.
  const graph = new GraphBuilder({ name: 'x', shape: [null, 100] })
    .linear('fc', { weight: tf.zeros([100, 50]) })
    .build();
  const x = tf.zeros([4, 100]);

  it('counts a row from a one-row forward and fits the budget with it', () => {
    expect(bytesPerRow(graph, [x], 'f')).toBe(7200);
    expect(bytesPerRow(graph, [x], 'f', 'forward')).toBe(1200);
    expect(rowsPerPass(graph, [x], { fn: 'f', memoryBudget: 12_000, pass: 'forward' })).toBe(10);
    expect(rowsPerPass(graph, [x], { fn: 'f', memoryBudget: 72_000 })).toBe(10);
    const previous = setMemoryBudget(14_400);
    try {
      expect(rowsPerPass(graph, [x], { fn: 'f' })).toBe(2);
      expect(rowsPerPass(graph, [x], { fn: 'f', memoryBudget: 100 })).toBe(1);
    } finally {
      setMemoryBudget(previous);
    }
    expect(getMemoryBudget()).toBe(previous);
  });

  it('takes an explicit count as it is, and checks it', () => {
    expect(rowsPerPass(graph, [x], { fn: 'f', explicit: 7 })).toBe(7);
    expect(() => rowsPerPass(graph, [x], { fn: 'f', explicit: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => setMemoryBudget(NaN)).toThrow(/'bytes' passed to 'setMemoryBudget'/);
  });
});
