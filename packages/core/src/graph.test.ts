import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import {
  AttribError,
  GraphBuilder,
  GraphError,
  ShapeMismatchError,
  UnknownNodeError,
  createModule,
  loadModel,
  registerKind,
  type JsonModel,
} from './index.js';

function withNode(spec: JsonModel, name: string, change: Record<string, unknown>): JsonModel {
  return { ...spec, nodes: spec.nodes.map((n) => (n.name === name ? { ...n, ...change } : n)) };
}

describeWithBackends('Graph', ['cpu'], () => {
  it('gives the same output from the builder and from JSON', () => {
    const spec = tinyModels.cnn();
    const fromJson = loadModel(spec);
    const t = (name: string, key: string) => fromJson.node(name).module.params[key];
    const built = new GraphBuilder({ name: 'x', shape: [null, 4, 4, 2] })
      .conv2d(
        'conv',
        { weight: t('conv', 'weight'), bias: t('conv', 'bias') },
        { strides: [1, 1], pad: [1, 1, 1, 1], dilations: [1, 1] },
      )
      .batchnorm(
        'bn',
        {
          mean: t('bn', 'mean'),
          variance: t('bn', 'variance'),
          gamma: t('bn', 'gamma'),
          beta: t('bn', 'beta'),
        },
        { epsilon: 1e-5 },
      )
      .relu('relu')
      .maxpool2d('pool', { size: [2, 2], strides: [2, 2] })
      .flatten('flatten')
      .linear('fc', { weight: t('fc', 'weight'), bias: t('fc', 'bias') })
      .build();
    const x = randomTensor([3, 4, 4, 2], 1);
    expectTensorsClose(built.run(x), fromJson.run(x), { atol: 0, rtol: 0 });
  });

  it('computes conv2d with explicit padding, stride and dilation as the NHWC formula says', () => {
    const x = randomTensor([1, 5, 5, 1], 2);
    const w = randomTensor([2, 2, 1, 1], 3);
    const graph = new GraphBuilder({ name: 'x' })
      .conv2d('c', { weight: w }, { strides: [2, 2], pad: [1, 0, 1, 0], dilations: [1, 1] })
      .build();
    const y = graph.run(x);
    const xs = x.arraySync() as number[][][][];
    const ws = w.arraySync() as number[][][][];
    const at = (i: number, j: number) => (i < 0 || j < 0 ? 0 : xs[0][i][j][0]);
    const expected: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let p = 0; p < 2; p++)
          for (let q = 0; q < 2; q++) s += at(i * 2 + p - 1, j * 2 + q - 1) * ws[p][q][0][0];
        expected.push(s);
      }
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expectTensorsClose(y, expected, { atol: 1e-6 });
  });

  it('runs every built-in kind without leaking', async () => {
    const x = randomTensor([2, 4], 4);
    const graph = new GraphBuilder({ name: 'x', shape: [null, 4] })
      .node('s', 'sigmoid', { inputs: ['x'] })
      .node('t', 'tanh', { inputs: ['x'] })
      .node('sp', 'softplus', { inputs: ['x'] })
      .node('e', 'elu', { inputs: ['x'] })
      .node('l', 'leakyRelu', { inputs: ['x'], config: { alpha: 0.2 } })
      .add('sum', ['s', 't', 'sp'])
      .concat('cat', ['sum', 'e', 'l'])
      .slice('sl', [0, 2], [-1, 8])
      .node('id', 'identity')
      .node('out', 'softmax')
      .build();
    await expectNoLeaks(() => graph.run(x));
    const out = graph.run(x);
    expectTensorsClose(tf.sum(out, 1), [1, 1], { atol: 1e-6 });
  });

  it('names the node in typed errors for malformed models', () => {
    const spec = tinyModels.mlp();
    const cases: Array<[JsonModel, string, RegExp]> = [
      [withNode(spec, 'relu1', { op: 'frobnicate' }), 'unknown-op', /relu1.*frobnicate/],
      [withNode(spec, 'fc2', { inputs: ['nowhere'] }), 'missing-input', /fc2.*nowhere/],
      [withNode(spec, 'fc1', { inputs: ['relu1'] }), 'cyclic-input', /fc1.*relu1/],
      [withNode(spec, 'fc2', { bias: { shape: [5], data: [0, 0, 0, 0, 0] } }), 'weight-shape', /fc2.*bias/],
      [withNode(spec, 'fc2', { weight: { shape: [4, 2], data: [1, 2, 3] } }), 'weight-shape', /fc2.*weight/],
      [{ ...spec, output: 'ghost' }, 'unknown-output', /ghost/],
    ];
    for (const [bad, code, message] of cases) {
      const before = tf.memory().numTensors;
      let error: unknown;
      try {
        loadModel(bad);
      } catch (e) {
        error = e;
      }
      expect(GraphError.isInstance(error)).toBe(true);
      expect((error as AttribError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects inputs of the wrong shape, and names the node that cannot run', () => {
    const graph = loadModel(tinyModels.mlp());
    expect(() => graph.run(tf.zeros([2, 5]))).toThrow(ShapeMismatchError);
    expect(() => graph.run(tf.zeros([2, 5]))).toThrow(/input 'x' must have shape \[N, 3\]/);
    const undeclared = new GraphBuilder({ name: 'x' }).linear('fc', { weight: tf.ones([3, 2]) }).build();
    expect(() => undeclared.run(tf.zeros([2, 5]))).toThrow(/node 'fc' \(linear\)/);
    expect(() => graph.run([])).toThrow(AttribError);
  });

  it('lists the known names for an unknown node', () => {
    const graph = loadModel(tinyModels.mlp());
    expect(() => graph.node('fc9')).toThrow(UnknownNodeError);
    expect(() => graph.node('fc9')).toThrow(/'fc1', 'relu1', 'fc2'/);
  });

  it('recognises errors across copies by their marker, not their class identity', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('attrib.error')]: true,
      [Symbol.for('attrib.error.graph')]: true,
    });
    expect(AttribError.isInstance(foreign)).toBe(true);
    expect(GraphError.isInstance(foreign)).toBe(true);
    expect(ShapeMismatchError.isInstance(foreign)).toBe(false);
  });

  it('accepts plugin kinds', () => {
    // Replaced explicitly: this suite runs once per backend, and registerKind refuses a silent replacement.
    registerKind(
      {
        kind: 'square',
        category: 'activation',
        arity: 1,
        paramNames: [],
        forward: ([x]) => tf.square(x),
      },
      { replace: true },
    );
    const graph = new GraphBuilder({ name: 'x' }).node('sq', 'square').build();
    expectTensorsClose(graph.run(tf.tensor1d([2, -3])), [4, 9]);
    expect(() => createModule('cube')).toThrow(/unknown op 'cube'/);
  });

  it('reports the output shape from one row', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([5, 4, 4, 2], 9);
    const before = tf.memory().numTensors;
    expect(graph.outputShape(x)).toEqual(graph.run(x).shape);
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  it('derives new graphs without touching the original', () => {
    const graph = loadModel(tinyModels.mlp());
    const derived = graph.derive({ output: 'relu1' });
    expect(derived.run(tf.ones([1, 3])).shape).toEqual([1, 4]);
    expect(graph.run(tf.ones([1, 3])).shape).toEqual([1, 2]);
  });
});
