import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import { expandTarget } from './index.js';

describeWithBackends('expandTarget', ['cpu'], () => {
  it('repeats per-sample indices copy-major and sample-major', () => {
    expect(expandTarget([1, 2], 3, 2, 'f')).toEqual([1, 2, 1, 2, 1, 2]);
    expect(expandTarget(tf.tensor1d([1, 2], 'int32'), 3, 2, 'f', 'sample-major')).toEqual([1, 1, 1, 2, 2, 2]);
    expect(expandTarget(4, 3, 2, 'f')).toBe(4);
  });

  it('refuses fractional indices instead of truncating them, and a wrong count', () => {
    expect(() => expandTarget(1.5, 2, 2, 'f')).toThrow(/'target' passed to 'f' must be a whole class index/);
    expect(() => expandTarget([0, 1.5], 2, 2, 'f')).toThrow(/whole class indices.*1\.5/);
    expect(() => expandTarget([0, 1, 1], 2, 2, 'f')).toThrow(/one index per sample \(2\)/);
  });
});
