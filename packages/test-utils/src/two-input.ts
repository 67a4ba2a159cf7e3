import * as tf from '@tensorflow/tfjs-core';

/** An `attrib-model/1` spec with several graph inputs (load with core's `loadModel`). */
export interface MultiInputModelSpec {
  format: 'attrib-model/1';
  id: string;
  layout: 'NHWC';
  input: Array<{ name: string; shape: (number | null)[] }>;
  nodes: Array<Record<string, unknown> & { name: string; op: string; inputs: string[] }>;
  output: string;
}

/**
 * One head over an image [2, 2, 1] and a vector [3] as two graph inputs (`image`, `vector`), and the
 * same network with both packed into one [7] tensor (`x`) and sliced apart inside the graph. Every
 * method's result on the first must equal its result on the second, split at the same place
 * (`unpackTwoInput`). Three samples: image [3, 2, 2, 1], vector [3, 3], x [3, 7].
 */
export function twoInputModels(): {
  twoInput: MultiInputModelSpec;
  packed: MultiInputModelSpec;
  image: tf.Tensor;
  vector: tf.Tensor;
  x: tf.Tensor;
} {
  const values = (size: number, f: (i: number) => number) =>
    Array.from({ length: size }, (_, i) => Math.fround(f(i)));
  const head = [
    {
      name: 'fc1',
      op: 'linear',
      inputs: ['joined'],
      weight: { shape: [7, 4], data: values(28, (i) => Math.sin(1.7 * i + 0.3)) },
      bias: { shape: [4], data: [0.1, -0.2, 0.05, 0.3] },
    },
    { name: 'relu', op: 'relu', inputs: ['fc1'] },
    {
      name: 'fc2',
      op: 'linear',
      inputs: ['relu'],
      weight: { shape: [4, 2], data: values(8, (i) => Math.cos(0.9 * i)) },
      bias: { shape: [2], data: [0.2, -0.1] },
    },
  ];
  const spec = (id: string, input: MultiInputModelSpec['input'], front: MultiInputModelSpec['nodes']) => ({
    format: 'attrib-model/1' as const,
    id,
    layout: 'NHWC' as const,
    input,
    nodes: [...front, ...head],
    output: 'fc2',
  });
  const n = 3;
  const image = tf.tensor4d(
    values(n * 4, (i) => Math.sin(i + 1)),
    [n, 2, 2, 1],
  );
  const vector = tf.tensor2d(
    values(n * 3, (i) => Math.cos(2 * i)),
    [n, 3],
  );
  return {
    twoInput: spec(
      'two_input',
      [
        { name: 'image', shape: [null, 2, 2, 1] },
        { name: 'vector', shape: [null, 3] },
      ],
      [
        { name: 'flat', op: 'flatten', inputs: ['image'] },
        { name: 'joined', op: 'concat', inputs: ['flat', 'vector'], axis: -1 },
      ],
    ),
    packed: spec(
      'two_input_packed',
      [{ name: 'x', shape: [null, 7] }],
      [
        { name: 'imagePart', op: 'slice', inputs: ['x'], begin: [0, 0], size: [-1, 4] },
        { name: 'vectorPart', op: 'slice', inputs: ['x'], begin: [0, 4], size: [-1, 3] },
        { name: 'joined', op: 'concat', inputs: ['imagePart', 'vectorPart'], axis: -1 },
      ],
    ),
    image,
    vector,
    x: tf.tidy(() => tf.concat([tf.reshape(image, [n, 4]), vector], 1)),
  };
}

/** A packed [N, 7] tensor (or a layer result, returned as is) as [image part, vector part]: new tensors. */
export function unpackTwoInput(packed: tf.Tensor): tf.Tensor[] {
  if (packed.rank !== 2 || packed.shape[1] !== 7) return [tf.clone(packed)];
  return tf.tidy(() => [
    tf.reshape(tf.slice(packed, [0, 0], [-1, 4]), [packed.shape[0], 2, 2, 1]),
    tf.slice(packed, [0, 4], [-1, 3]),
  ]);
}
