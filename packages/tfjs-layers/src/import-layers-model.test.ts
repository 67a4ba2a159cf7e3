import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, ModelImportError, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, fixturePath, randomTensor } from '@attrib/test-utils';
import { importLayersModel, supportedLayerClasses } from './import-layers-model.js';
import { loadLayersModel } from './load-layers-model.js';

/** Overwrites every weight with seeded uniform values (variances kept positive), so no layer is trivial. */
function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const positive = /variance/.test(w.originalName);
    const value = randomTensor(w.shape as number[], seed + i, positive ? 0.5 : -1, positive ? 1.5 : 1);
    w.write(value);
    value.dispose();
  });
}

const paramCount = (graph: Graph) =>
  graph.nodes.reduce((n, node) => n + Object.keys(node.module.params).length, 0);

/** The imported graph gives `model.predict`'s values (tfjs-layers runs the same kernels: float32 rounding only). */
function expectSameAsPredict(model: tfl.LayersModel, inputs: tf.Tensor | tf.Tensor[], options = {}): Graph {
  const graph = importLayersModel(model, options);
  const expected = model.predict(inputs) as tf.Tensor;
  const actual = graph.run(inputs);
  expectTensorsClose(actual, expected, { atol: 1e-5, rtol: 1e-4 });
  tf.dispose([expected, actual]);
  return graph;
}

const names = (graph: Graph) => graph.nodes.map((n) => n.name);

function convModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [9, 9, 2],
        filters: 3,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv',
      }),
      tfl.layers.batchNormalization({ name: 'bn', epsilon: 0.01 }),
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        name: 'dw',
        activation: 'tanh',
      }),
      tfl.layers.separableConv2d({ filters: 4, kernelSize: 2, padding: 'same', name: 'sep' }),
      tfl.layers.zeroPadding2d({
        padding: [
          [1, 0],
          [0, 2],
        ],
        name: 'zpad',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'maxpool' }),
      tfl.layers.cropping2D({
        cropping: [
          [1, 0],
          [1, 1],
        ],
        name: 'crop',
      }),
      tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'up' }),
      tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid', name: 'deconv' }),
      tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avgpool' }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, useBias: false, name: 'dilated' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 4, activation: 'softmax', name: 'fc' }),
    ],
  });
  randomizeWeights(model, 1);
  return model;
}

describeWithBackends('importLayersModel', ['cpu', 'wasm'], () => {
  it('a Sequential CNN (convolutions, pools, padding, cropping, upsampling) gives predict', () => {
    const model = convModel();
    const x = randomTensor([3, 9, 9, 2], 7);
    const graph = expectSameAsPredict(model, x);
    expect(names(graph)).toEqual([
      'conv',
      'conv/activation',
      'bn',
      'dw',
      'dw/activation',
      'sep/depthwise',
      'sep',
      'zpad',
      'maxpool',
      'crop',
      'up',
      'deconv',
      'avgpool',
      'dilated',
      'gap',
      'fc',
      'fc/activation',
    ]);
    expect(graph.inputs).toEqual([{ name: model.inputNames[0], shape: [null, 9, 9, 2] }]);
    model.dispose();
    x.dispose();
  });

  it('a fused activation is its own node: `<name>` is the pre-activation', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'sigmoid', name: 'fc' })],
    });
    randomizeWeights(model, 3);
    const graph = importLayersModel(model);
    const x = randomTensor([2, 3], 4);
    const [kernel, bias] = model.getLayer('fc').getWeights();
    const values = tf.tidy(() => {
      const { values: v } = graph.forward(x);
      return [v.get('fc')!.clone(), v.get('fc/activation')!.clone()];
    });
    // Independent reference: x·W + b with tfjs ops, then the sigmoid.
    const pre = tf.add(tf.matMul(x, kernel), bias);
    expectTensorsClose(values[0], pre);
    expectTensorsClose(values[1], tf.sigmoid(pre));
    tf.dispose([...values, pre, x]);
    model.dispose();
  });

  it('1-D layers: Conv1D (dilated, strided), pools, global pools', () => {
    const input = tfl.input({ shape: [10, 3], name: 'seq' });
    const c = tfl.layers
      .conv1d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2, name: 'c1', activation: 'elu' })
      .apply(input) as tfl.SymbolicTensor;
    const s = tfl.layers
      .conv1d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', name: 'c2' })
      .apply(c) as tfl.SymbolicTensor;
    const m = tfl.layers
      .maxPooling1d({ poolSize: 2, strides: 1, padding: 'same', name: 'mp' })
      .apply(s) as tfl.SymbolicTensor;
    const a = tfl.layers.averagePooling1d({ poolSize: 2, name: 'ap' }).apply(m) as tfl.SymbolicTensor;
    const g1 = tfl.layers.globalMaxPooling1d({ name: 'gmp' }).apply(a) as tfl.SymbolicTensor;
    const g2 = tfl.layers.globalAveragePooling1d({ name: 'gavg' }).apply(m) as tfl.SymbolicTensor;
    const out = tfl.layers.concatenate({ name: 'cat' }).apply([g1, g2]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(model, 11);
    const x = randomTensor([2, 10, 3], 12);
    expectSameAsPredict(model, x);
    model.dispose();
    x.dispose();
  });

  it.each([
    'relu',
    'relu6',
    'elu',
    'selu',
    'sigmoid',
    'tanh',
    'softplus',
    'softsign',
    'softmax',
    'hardSigmoid',
    'swish',
    'mish',
    'gelu',
    'gelu_new',
    'linear',
  ] as const)("activation '%s' (fused and as an Activation layer) gives predict", (activation) => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [4], units: 5, activation, name: 'fc' }),
        tfl.layers.activation({ activation, name: 'act' }),
      ],
    });
    randomizeWeights(model, 5);
    // Values spread over [−4, 4) so every piece of each activation is exercised.
    const x = randomTensor([6, 4], 6, -4, 4);
    const graph = expectSameAsPredict(model, x);
    expect(names(graph)).toContain('act');
    expect(names(graph).includes('fc/activation')).toBe(activation !== 'linear');
    model.dispose();
    x.dispose();
  });

  it('advanced activations, normalisation and shape layers give predict', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.reLU({ inputShape: [4, 3], maxValue: 0.5, name: 'relu_max' }),
        tfl.layers.dense({ units: 3, name: 'fc1' }),
        tfl.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }),
        tfl.layers.prelu({ name: 'prelu', sharedAxes: [1] }),
        tfl.layers.elu({ name: 'elu' }),
        tfl.layers.layerNormalization({ name: 'ln', epsilon: 0.01 }),
        tfl.layers.permute({ dims: [2, 1], name: 'perm' }),
        tfl.layers.spatialDropout1d({ rate: 0.5, name: 'sdrop' }),
        tfl.layers.gaussianNoise({ stddev: 1, name: 'noise' }),
        tfl.layers.reshape({ targetShape: [12], name: 'rs' }),
        tfl.layers.dropout({ rate: 0.5, name: 'drop' }),
        tfl.layers.softmax({ name: 'sm' }),
      ],
    });
    randomizeWeights(model, 21);
    const x = randomTensor([3, 4, 3], 22, -2, 2);
    expectSameAsPredict(model, x);
    model.dispose();
    x.dispose();
  });

  it('ReLU: relu6 for max_value 6, relu without one', () => {
    for (const [maxValue, seed] of [
      [6, 1],
      [null, 2],
    ] as const) {
      const model = tfl.sequential({
        layers: [tfl.layers.reLU({ inputShape: [5], ...(maxValue === null ? {} : { maxValue }), name: 'r' })],
      });
      const x = randomTensor([4, 5], seed, -8, 8);
      const graph = expectSameAsPredict(model, x);
      expect(graph.nodes[0].module.kind).toBe(maxValue === 6 ? 'relu6' : 'relu');
      model.dispose();
      x.dispose();
    }
  });

  it('functional: merges, a shared layer called twice, a nested Sequential, two inputs', () => {
    const a = tfl.input({ shape: [4], name: 'a' });
    const b = tfl.input({ shape: [4], name: 'b' });
    const shared = tfl.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
    const sa = shared.apply(a) as tfl.SymbolicTensor;
    const sb = shared.apply(b) as tfl.SymbolicTensor;
    const merged = [
      tfl.layers.add({ name: 'add' }).apply([sa, sb]),
      tfl.layers.multiply({ name: 'mul' }).apply([sa, sb, a]),
      tfl.layers.average({ name: 'avg' }).apply([sa, sb, b]),
      tfl.layers.maximum({ name: 'max' }).apply([sa, sb, a]),
      tfl.layers.minimum({ name: 'min' }).apply([sa, sb]),
    ] as tfl.SymbolicTensor[];
    const cat = tfl.layers.concatenate({ name: 'cat', axis: -1 }).apply(merged) as tfl.SymbolicTensor;
    const inner = tfl.sequential({
      name: 'head',
      layers: [
        tfl.layers.dense({ inputShape: [20], units: 5, activation: 'relu', name: 'h1' }),
        tfl.layers.dense({ units: 2, name: 'h2' }),
      ],
    });
    const out = inner.apply(cat) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [a, b], outputs: out });
    randomizeWeights(model, 31);
    const xa = randomTensor([3, 4], 32);
    const xb = randomTensor([3, 4], 33);
    const graph = expectSameAsPredict(model, [xa, xb]);
    expect(names(graph)).toEqual(
      expect.arrayContaining([
        'shared',
        'shared/activation',
        'shared/call1',
        'shared/call1/activation',
        'head/h1',
        'head/h1/activation',
        'head/h2',
        'head',
        'max',
        'avg',
      ]),
    );
    // The two calls of the shared layer share nothing but their weights' values.
    const first = graph.node('shared').module.params.weight;
    const second = graph.node('shared/call1').module.params.weight;
    expectTensorsClose(first, second, { atol: 0, rtol: 0 });
    expect(graph.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    tf.dispose([xa, xb]);
    model.dispose();
  });

  it('Embedding on int32 ids', () => {
    const ids = tfl.input({ shape: [4], dtype: 'int32', name: 'ids' });
    const emb = tfl.layers
      .embedding({ inputDim: 7, outputDim: 3, name: 'emb' })
      .apply(ids) as tfl.SymbolicTensor;
    const model = tfl.model({
      inputs: ids,
      outputs: tfl.layers.flatten({ name: 'flat' }).apply(emb) as tfl.SymbolicTensor,
    });
    randomizeWeights(model, 41);
    const graph = importLayersModel(model);
    expect(graph.inputs[0].dtype).toBe('int32');
    const x = tf.tensor2d(
      [
        [0, 1, 6, 3],
        [5, 5, 2, 0],
      ],
      [2, 4],
      'int32',
    );
    const expected = model.predict(x) as tf.Tensor;
    const actual = graph.run(x);
    expectTensorsClose(actual, expected, { atol: 0, rtol: 0 });
    tf.dispose([x, expected, actual]);
    model.dispose();
  });

  it('holds copies of the weights: one tensor per parameter, none leaked, the model can be disposed', () => {
    const model = convModel();
    const before = tf.memory().numTensors;
    const graph = importLayersModel(model);
    expect(tf.memory().numTensors - before).toBe(paramCount(graph));
    const x = randomTensor([2, 9, 9, 2], 8);
    const expected = model.predict(x) as tf.Tensor;
    model.dispose();
    const during = tf.memory().numTensors;
    const actual = graph.run(x);
    expect(tf.memory().numTensors).toBe(during + 1);
    expectTensorsClose(actual, expected);
    tf.dispose([x, expected, actual]);
  });

  it('foldZeroPadding merges ZeroPadding2D into the valid conv it feeds', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.zeroPadding2d({
          inputShape: [6, 6, 2],
          padding: [
            [0, 1],
            [1, 1],
          ],
          name: 'conv_pad',
        }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, name: 'conv' }),
        tfl.layers.zeroPadding2d({ padding: 1, name: 'dw_pad' }),
        tfl.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }),
      ],
    });
    randomizeWeights(model, 51);
    const x = randomTensor([2, 6, 6, 2], 52);
    const graph = expectSameAsPredict(model, x, { foldZeroPadding: true });
    expect(names(graph)).toEqual(['conv', 'dw']);
    expect(graph.node('conv').inputs).toEqual([model.inputNames[0]]);
    expect(graph.node('conv').module.config.pad).toEqual([0, 1, 1, 1]);
    expect(names(importLayersModel(model))).toEqual(['conv_pad', 'conv', 'dw_pad', 'dw']);
    model.dispose();
    x.dispose();
  });

  it('lists every unsupported layer at once, before building anything', () => {
    const input = tfl.input({ shape: [5, 3] });
    const r = tfl.layers
      .simpleRNN({ units: 2, returnSequences: true, name: 'rnn' })
      .apply(input) as tfl.SymbolicTensor;
    const t = tfl.layers.thresholdedReLU({ name: 'thr' }).apply(r) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.flatten().apply(t) as tfl.SymbolicTensor });
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      importLayersModel(model);
    } catch (e) {
      error = e;
    }
    expect(ModelImportError.isInstance(error)).toBe(true);
    expect((error as ModelImportError).code).toBe('unsupported-op');
    expect((error as Error).message).toMatch(/2 layer\(s\).*'rnn' \(SimpleRNN\).*'thr' \(ThresholdedReLU\)/);
    expect((error as Error).message).toContain('SeparableConv2D');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses what is not a LayersModel, naming the argument', () => {
    expect(() => importLayersModel({} as tfl.LayersModel)).toThrow(InvalidArgumentError);
    expect(() => importLayersModel({} as tfl.LayersModel)).toThrow(/'model' passed to 'importLayersModel'/);
  });

  it('supportedLayerClasses lists the mapped classes', () => {
    expect(supportedLayerClasses()).toEqual(
      expect.arrayContaining(['Conv2D', 'Dense', 'InputLayer', 'Sequential']),
    );
  });
});

/** Saves `model` as model.json + weights.bin in a fresh directory, the layout tf.io.fileSystem writes. */
async function saveToDisk(model: tfl.LayersModel): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'attrib-layers-'));
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

describeWithBackends('loadLayersModel', ['cpu', 'wasm'], () => {
  it('reads model.json + weights from a path, a file URL and a tf.io handler', async () => {
    const model = convModel();
    const path = await saveToDisk(model);
    const x = randomTensor([2, 9, 9, 2], 9);
    const expected = model.predict(x) as tf.Tensor;
    const json = JSON.parse(readFileSync(path, 'utf8'));
    const handler = tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: new Uint8Array(readFileSync(join(path, '..', 'weights.bin'))).buffer,
    });
    for (const source of [path, pathToFileURL(path), handler]) {
      const before = tf.memory().numTensors;
      const graph = await loadLayersModel(source);
      // Only the graph's weights stay: the LayersModel loaded on the way is disposed.
      expect(tf.memory().numTensors - before).toBe(paramCount(graph));
      const actual = graph.run(x);
      expectTensorsClose(actual, expected);
      actual.dispose();
    }
    tf.dispose([x, expected]);
    model.dispose();
  });

  it.each(['mlp_pos_neg', 'cnn_small', 'cnn_bn_pub', 'resblock_pub'])(
    'the conformance model %s (written with tfjs-layers 4.22) gives the attrib-model JSON logits',
    async (id) => {
      const reference = loadModel(
        JSON.parse(readFileSync(fixturePath('conformance', 'models', `${id}.json`), 'utf8')),
      );
      const path = fixturePath('conformance', 'models', `${id}.layers`, 'model.json');
      const shape = reference.inputs[0].shape!.slice(1) as number[];
      const x = randomTensor([3, ...shape], 61);
      const expected = reference.run(x);
      for (const foldZeroPadding of [false, true]) {
        const graph = await loadLayersModel(path, { foldZeroPadding });
        const actual = graph.run(x);
        expectTensorsClose(actual, expected);
        // Folded, the padded convs are the JSON's nodes: the same names, reading the same tensors.
        if (foldZeroPadding) {
          for (const node of reference.nodes) expect(graph.node(node.name).inputs).toEqual(node.inputs);
        }
        actual.dispose();
      }
      tf.dispose([x, expected]);
    },
  );

  it.each([
    [
      'an Attrib model',
      () => fixturePath('conformance', 'models', 'cnn_small.json'),
      /attrib-model\/1.*loadModel from '@attrib\/core'/,
    ],
    [
      'ONNX bytes',
      () => fixturePath('conformance', 'models', 'cnn_small.onnx'),
      /\.onnx file\?.*'@attrib\/onnx'/,
    ],
  ])('%s is a wrong-format error naming the reader', async (_what, file, message) => {
    const error = await loadLayersModel(file()).catch((e: unknown) => e);
    expect(ModelImportError.isInstance(error)).toBe(true);
    expect((error as ModelImportError).code).toBe('wrong-format');
    expect((error as Error).message).toMatch(message);
  });

  it('a tfjs graph model is a wrong-format error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attrib-graph-model-'));
    const path = join(dir, 'model.json');
    writeFileSync(
      path,
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    await expect(loadLayersModel(path)).rejects.toThrow(/tfjs graph model/);
  });

  it('an unsupported layer in model.json is listed before any weight loads', async () => {
    const handler = tf.io.fromMemory({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [
            { class_name: 'LSTM', config: { name: 'lstm', units: 2, batch_input_shape: [null, 3, 2] } },
            { class_name: 'MyCustomLayer', config: { name: 'custom' } },
          ],
        },
      },
    });
    await expect(loadLayersModel(handler)).rejects.toThrow(/'lstm' \(LSTM\).*'custom' \(MyCustomLayer\)/);
  });

  it('refuses a source that is none of path, URL or handler', async () => {
    await expect(loadLayersModel(42 as unknown as string)).rejects.toThrow(
      /'source' passed to 'loadLayersModel'/,
    );
  });
});
