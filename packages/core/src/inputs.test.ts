import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks } from '@attrib/test-utils';
import {
  GraphBuilder,
  InvalidArgumentError,
  ShapeMismatchError,
  resolveInputs,
  type Graph,
} from './index.js';

/** image [N,2,2,1] and vector [N,3] into one linear head; `scale` [N,1] is a third input. */
function twoInputGraph(withScale = false): Graph {
  const inputs = [
    { name: 'image', shape: [null, 2, 2, 1] },
    { name: 'vector', shape: [null, 3] },
    ...(withScale ? [{ name: 'scale', shape: [null, 1] }] : []),
  ];
  return new GraphBuilder(...inputs)
    .flatten('flat', ['image'])
    .concat('both', ['flat', 'vector'], -1)
    .linear('head', { weight: tf.ones([7, 2]) })
    .build();
}

function expectCode(body: () => unknown, code: string, argument: RegExp): void {
  try {
    body();
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error) || ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).code).toBe(code);
    expect((error as Error).message).toMatch(argument);
    return;
  }
  throw new Error('expected a typed error');
}

describeWithBackends('resolveInputs', ['cpu', 'wasm'], () => {
  const graph = twoInputGraph();
  const image = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
  const vector = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);

  it('orders a list and a record the same way and restores each structure', () => {
    const fromList = resolveInputs(graph, [image, vector], { fn: 't' });
    const fromRecord = resolveInputs(graph, { vector, image }, { fn: 't' });
    expect(fromList.explained).toEqual([image, vector]);
    expect(fromRecord.explained).toEqual([image, vector]);
    expect(fromList.restore(['a', 'b'])).toEqual(['a', 'b']);
    expect(fromRecord.restore(['a', 'b'])).toEqual({ image: 'a', vector: 'b' });
    expect(fromList.batch).toBe(2);
  });

  it('additional inputs fill the last graph inputs, are not explained, and are tiled copy- or sample-major', async () => {
    const g = twoInputGraph(true);
    const scale = tf.tensor2d([10, 20], [2, 1]);
    await expectNoLeaks(() => {
      const resolved = resolveInputs(g, [image, vector], { fn: 't', additionalInputs: scale });
      expect(resolved.names).toEqual(['image', 'vector']);
      const copyMajor = resolved.assemble([image, vector], 3)[2];
      const sampleMajor = resolved.assemble([image, vector], 3, 'sample-major')[2];
      expect(Array.from(copyMajor.dataSync())).toEqual([10, 20, 10, 20, 10, 20]);
      expect(Array.from(sampleMajor.dataSync())).toEqual([10, 10, 10, 20, 20, 20]);
      expect(resolved.assemble([image, vector], 3)[2]).toBe(copyMajor); // cached, freed by dispose()
      resolved.dispose();
    });
    const byName = resolveInputs(g, { image, vector }, { fn: 't', additionalInputs: { scale } });
    expect(byName.additional).toEqual([scale]);
    expect(byName.restore([1, 2])).toEqual({ image: 1, vector: 2 });
  });

  it('refuses bad inputs with typed errors naming the entry', () => {
    expectCode(
      () => resolveInputs(graph, null as never, { fn: 'f' }),
      'invalid-argument',
      /'inputs' passed to 'f'/,
    );
    expectCode(() => resolveInputs(graph, [image] as never, { fn: 'f' }), 'invalid-argument', /2 tensors/);
    expectCode(
      () => resolveInputs(graph, [image, null] as never, { fn: 'f' }),
      'invalid-argument',
      /'inputs\[1\]'/,
    );
    expectCode(
      () => resolveInputs(graph, { image, vectr: vector }, { fn: 'f' }),
      'invalid-argument',
      /did you mean 'vector'/,
    );
    const gone = tf.zeros([2, 3]);
    gone.dispose();
    expectCode(() => resolveInputs(graph, [image, gone], { fn: 'f' }), 'disposed-tensor', /'inputs\[1\]'/);
    expectCode(
      () => resolveInputs(graph, [tf.zeros([0, 2, 2, 1]), tf.zeros([0, 3])], { fn: 'f' }),
      'empty-batch',
      /'inputs\[0\]'/,
    );
    expectCode(
      () => resolveInputs(graph, [image, tf.zeros([3, 3])], { fn: 'f' }),
      'shape-mismatch',
      /'inputs\[1\]'/,
    );
    expectCode(
      () => resolveInputs(graph, { image, vector: tf.tensor2d([0, NaN, 0, 0, 0, 0], [2, 3]) }, { fn: 'f' }),
      'non-finite-input',
      /'inputs\['vector'\]'.*NaN at flat index 1/,
    );
    const ids = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expectCode(
      () => resolveInputs(graph, [image, ids], { fn: 'f', needs: 'gradient' }),
      'integer-input',
      /'inputs\[1\]'.*int32 tensor for input 'vector'/,
    );
    // Where the method needs no input gradient, integer inputs are fine.
    expect(resolveInputs(graph, [image, ids], { fn: 'f' }).explained[1]).toBe(ids);
  });
});
