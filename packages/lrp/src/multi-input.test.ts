import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, InvalidArgumentError, ShapeMismatchError, type Graph } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import {
  deconvnet,
  epsilonAlpha2Beta1,
  epsilonAlpha2Beta1Flat,
  epsilonPlus,
  epsilonPlusFlat,
  excitationBackprop,
  guidedBackprop,
  lrp,
  type Composite,
} from './index.js';

const uniform = (shape: number[], seed: number, scale: number) => randomTensor(shape, seed, -scale, scale);

/**
 * The same network twice: two inputs (image [N,4,4,2], vector [N,3]) into one head, and one packed
 * input [N,4,4,3] (image in channels 0–1, the vector in channel 2 of row 0) sliced apart in the graph.
 */
function networks(): { twoInputs: Graph; packed: Graph } {
  const conv = { weight: uniform([3, 3, 2, 3], 1, 0.5), bias: uniform([3], 2, 0.1) };
  const fc1 = { weight: uniform([51, 6], 3, 0.3), bias: uniform([6], 4, 0.1) };
  const fc2 = { weight: uniform([6, 3], 5, 0.5), bias: uniform([3], 6, 0.1) };
  const head = (b: GraphBuilder) =>
    b
      .conv2d('conv', conv, { pad: [1, 1, 1, 1] }, ['image'])
      .relu('relu1')
      .flatten('flat')
      .concat('both', ['flat', 'vector'], -1)
      .linear('fc1', fc1)
      .relu('relu2')
      .linear('fc2', fc2)
      .build();
  return {
    twoInputs: head(
      new GraphBuilder({ name: 'image', shape: [null, 4, 4, 2] }, { name: 'vector', shape: [null, 3] }),
    ),
    packed: head(
      new GraphBuilder({ name: 'packed', shape: [null, 4, 4, 3] })
        .slice('image', [0, 0, 0, 0], [-1, 4, 4, 2], ['packed'])
        .slice('vectorCell', [0, 0, 0, 2], [-1, 1, 3, 1], ['packed'])
        .flatten('vector', ['vectorCell']),
    ),
  };
}

describeWithBackends('lrp on a two-input graph equals the packed network', ['cpu', 'wasm'], (backend) => {
  const { twoInputs, packed } = networks();
  const image = uniform([3, 4, 4, 2], 11, 1);
  const vector = uniform([3, 3], 12, 1);
  const packedInput = tf.concat(
    [
      image,
      tf.pad(tf.reshape(vector, [3, 1, 3, 1]), [
        [0, 0],
        [0, 3],
        [0, 1],
        [0, 0],
      ]),
    ],
    3,
  );
  const presets: Array<[string, () => Composite]> = [
    ['epsilonPlus', () => epsilonPlus()],
    ['epsilonAlpha2Beta1', () => epsilonAlpha2Beta1()],
    ['epsilonPlusFlat', () => epsilonPlusFlat()],
    ['epsilonAlpha2Beta1Flat', () => epsilonAlpha2Beta1Flat()],
    ['guidedBackprop', () => guidedBackprop()],
    ['deconvnet', () => deconvnet()],
    ['excitationBackprop', () => excitationBackprop()],
  ];
  const atol = backend === 'cpu' ? 1e-6 : 1e-4;
  for (const [name, composite] of presets) {
    it(`${name}: relevance per input, at the nodes, and conservation`, async () => {
      const options = { composite: composite(), target: [0, 2, 1], nodes: ['fc1', 'conv'] };
      const two = lrp(twoInputs, [image, vector], options);
      const one = lrp(packed, packedInput, options);
      const [a, b] = tf.tidy(() => [
        tf.slice(one.attributions, [0, 0, 0, 0], [3, 4, 4, 2]),
        tf.reshape(tf.slice(one.attributions, [0, 0, 0, 2], [3, 1, 3, 1]), [3, 3]),
      ]);
      expectTensorsClose(two.attributions[0], a, { atol });
      expectTensorsClose(two.attributions[1], b, { atol });
      for (const node of ['fc1', 'conv'])
        expectTensorsClose(two.relevances.get(node)!, one.relevances.get(node)!, { atol });
      expectTensorsClose(two.conservation.input, one.conservation.input, { atol });
      tf.dispose([a, b]);
      two.dispose();
      one.dispose();
      await expectNoLeaks(() => {
        const byName = lrp(twoInputs, { vector, image }, options);
        expect(Object.keys(byName.attributions).sort()).toEqual(['image', 'vector']);
        byName.dispose();
      });
    });
  }

  it('inside tf.grad: the gradient of an explanation with respect to a fixed input flows', () => {
    // The vector is fixed (additionalInputs): only the image is explained, and the call stays
    // differentiable with respect to the fixed input.
    const gradient = tf.grad((v: tf.Tensor) =>
      tf.sum(lrp(twoInputs, image, { target: 1, additionalInputs: { vector: v } }).attributions),
    )(vector);
    expect(gradient.shape).toEqual([3, 3]);
    expect(Array.from(gradient.dataSync()).some((g) => g !== 0)).toBe(true);
    gradient.dispose();
  });
});

describeWithBackends(
  'lrp: bad input is a typed error naming the argument, and leaks nothing',
  ['cpu', 'wasm'],
  () => {
    const { twoInputs } = networks();
    const image = uniform([2, 4, 4, 2], 21, 1);
    const vector = uniform([2, 3], 22, 1);
    const disposed = tf.zeros([2, 3]);
    disposed.dispose();
    const nanVector = tf.tensor2d([0, NaN, 0, 0, 0, 0], [2, 3]);
    const nanRelevance = tf.tensor2d([1, 0, NaN, 0, 0, 1], [2, 3]);
    const empty = [tf.zeros([0, 4, 4, 2]), tf.zeros([0, 3])];
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['null inputs', () => lrp(twoInputs, null as never, { target: 0 }), /'inputs' passed to 'lrp'/],
      ['one tensor for two inputs', () => lrp(twoInputs, image, { target: 0 }), /'inputs' passed to 'lrp'/],
      ['a disposed input', () => lrp(twoInputs, [image, disposed], { target: 0 }), /'inputs\[1\]'.*disposed/],
      ['an empty batch', () => lrp(twoInputs, empty, { target: 0 }), /'inputs\[0\]'.*at least one sample/],
      [
        'NaN in an input',
        () => lrp(twoInputs, { image, vector: nanVector }, { target: 0 }),
        /'inputs\['vector'\]'.*NaN/,
      ],
      [
        'a wrong-type input',
        () => lrp(twoInputs, [image, 'x' as never], { target: 0 }),
        /'inputs\[1\]'.*a tensor/,
      ],
      [
        'a misspelled option',
        () => lrp(twoInputs, [image, vector], { targt: 0 } as never),
        /unknown key 'targt'.*did you mean 'target'/,
      ],
      ['a fractional target', () => lrp(twoInputs, [image, vector], { target: 0.5 }), /'target'/],
      [
        'NaN in outputRelevance',
        () => lrp(twoInputs, [image, vector], { outputRelevance: nanRelevance }),
        /'outputRelevance'.*NaN/,
      ],
      [
        'a wrong-type composite',
        () => lrp(twoInputs, [image, vector], { composite: 3 as never }),
        /'composite'/,
      ],
    ];
    for (const [name, call, message] of cases) {
      it(name, async () => {
        await expectNoLeaks(() => {
          let caught: unknown;
          try {
            call();
          } catch (error) {
            caught = error;
          }
          expect(InvalidArgumentError.isInstance(caught) || ShapeMismatchError.isInstance(caught)).toBe(true);
          expect((caught as Error).message).toMatch(message);
        });
      });
    }
  },
);

describeWithBackends('lrp on integer inputs (token ids)', ['cpu', 'wasm'], () => {
  it('stops at the ids: relevance is read at the embedding output, and equals lrp from there', () => {
    const embedding = uniform([5, 4], 31, 1);
    const fc = { weight: uniform([12, 2], 32, 0.5) };
    const ids = tf.tensor2d(
      [
        [1, 2, 3],
        [0, 4, 1],
      ],
      [2, 3],
      'int32',
    );
    const tokens = new GraphBuilder({ name: 'ids', shape: [null, 3], dtype: 'int32' } as never)
      .node('emb', 'embedding', { params: { weight: embedding } })
      .flatten('flat')
      .linear('fc', fc)
      .build();
    // The same head fed the embedded vectors directly.
    const vectors = new GraphBuilder({ name: 'emb', shape: [null, 3, 4] })
      .flatten('flat')
      .linear('fc', fc)
      .build();
    const embedded = tf.gather(embedding, ids);
    const fromIds = lrp(tokens, ids, { target: 0, nodes: ['emb'] });
    const fromVectors = lrp(vectors, embedded, { target: 0 });
    expectTensorsClose(fromIds.relevances.get('emb')!, fromVectors.attributions, { atol: 1e-6 });
    expect(fromIds.attributions.dtype).toBe('float32');
    expect(Array.from(fromIds.attributions.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([embedded, ids]);
    fromIds.dispose();
    fromVectors.dispose();
  });
});
