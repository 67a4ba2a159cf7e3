import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import { ownResult } from './index.js';

describeWithBackends('ownResult', ['cpu'], () => {
  it('frees every tensor reachable from the result, and is not an enumerable field', () => {
    const before = tf.memory().numTensors;
    const result = ownResult({
      attributions: { a: tf.zeros([2]), b: [tf.ones([1])] },
      relevances: new Map([['fc', tf.ones([3])]]),
      count: 3,
    });
    expect(Object.keys(result)).toEqual(['attributions', 'relevances', 'count']);
    expect(tf.memory().numTensors).toBe(before + 3);
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
