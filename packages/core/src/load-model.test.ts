import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  countTensorsDuring,
  describeWithBackends,
  expectTensorsClose,
  fixturePath,
  randomTensor,
} from '@attrib/test-utils';
import {
  GraphBuilder,
  GraphError,
  InvalidArgumentError,
  loadModel,
  serializeModel,
  type Graph,
  type JsonModel,
} from './index.js';
import { loadModelFile, saveModelFile } from './load-model-node.js';

/** A small segmentation-style net that uses the spatial kinds, a fused activation and a reused module. */
function spatialNet(): Graph {
  const t = (shape: number[], seed: number) => randomTensor(shape, seed);
  return new GraphBuilder({ name: 'image', shape: [null, 8, 8, 3] })
    .node('stem', 'conv2d', {
      params: { weight: t([3, 3, 3, 4], 1), bias: t([4], 2) },
      config: { pad: 'same', strides: [2, 2] },
    })
    .node('act', 'relu6')
    .node('dw', 'depthwiseConv2d', {
      params: { weight: t([3, 3, 4, 2], 3), bias: t([8], 4) },
      config: { pad: 'same' },
    })
    .node('pw', 'conv2d', { params: { weight: t([1, 1, 4, 4], 5) }, config: { groups: 2 } })
    .node('res', 'add', { inputs: ['pw', 'act'] })
    .node('pool', 'maxpool2d', { config: { size: [3, 3], strides: [2, 2], pad: 'same' } })
    .node('up', 'upsample2d', { config: { method: 'bilinear', scale: [2, 2], halfPixelCenters: true } })
    .node('deconv', 'conv2dTranspose', {
      params: { weight: t([3, 3, 2, 4], 6), bias: t([2], 7) },
      config: { strides: [2, 2], pad: [1, 1, 1, 1], outputPadding: [1, 1] },
    })
    .node('padded', 'pad', { config: { pads: [1, 0, 0, 1], value: 0.25 } })
    .node('avg', 'avgpool2d', { config: { size: [2, 2], pad: 'same' } })
    .reuse('avg2', 'avg')
    .node('gap', 'globalAvgPool', { config: { keepDims: true } })
    .node('gmp', 'globalMaxPool', { config: { keepDims: false } })
    .node('fc', 'linear', { params: { weight: t([2, 3], 8), bias: t([3], 9) } })
    .build();
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'attrib-model-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describeWithBackends('attrib-model/1 with binary weights', ['cpu', 'wasm'], () => {
  const x = randomTensor([3, 8, 8, 3], 20);

  it('round trip (graph → json + .bin → graph) gives bit-identical outputs, inline too', async () => {
    const graph = spatialNet();
    const { model, weights } = await serializeModel(graph);
    expect(model.weights!.byteLength).toBe(weights!.byteLength);
    // Every parameter once, in node order (the reused avgpool has none).
    expect(model.weights!.entries.map((e) => e.name)).toEqual([
      'stem/weight',
      'stem/bias',
      'dw/weight',
      'dw/bias',
      'pw/weight',
      'deconv/weight',
      'deconv/bias',
      'fc/weight',
      'fc/bias',
    ]);
    const reloaded = loadModel(JSON.parse(JSON.stringify(model)) as JsonModel, {
      weights: weights!.slice().buffer,
    });
    expectTensorsClose(reloaded.run(x), graph.run(x), { atol: 0, rtol: 0 });
    const sequence = new GraphBuilder({ name: 'tokens', shape: [null, 6, 3] })
      .node('conv', 'conv1d', {
        params: { weight: randomTensor([3, 3, 2], 24) },
        config: { pad: 'same', stride: 2 },
      })
      .node('flat', 'flatten')
      .build();
    const s = randomTensor([2, 6, 3], 25);
    const saved = await serializeModel(sequence);
    expectTensorsClose(loadModel(saved.model, saved).run(s), sequence.run(s), { atol: 0, rtol: 0 });
    const inline = await serializeModel(graph, { weights: 'inline' });
    expect(inline.weights).toBeUndefined();
    expectTensorsClose(loadModel(JSON.stringify(inline.model)).run(x), graph.run(x), { atol: 0, rtol: 0 });
  });

  it('round-trips a token model (int32 input, embedding, layer norm, attention-style matmuls, a constant)', async () => {
    const t = (shape: number[], seed: number) => randomTensor(shape, seed);
    const tokens = new GraphBuilder({ name: 'ids', shape: [null, 5], dtype: 'int32' })
      .node('embed', 'embedding', { params: { weight: t([11, 4], 30) } })
      .node('position', 'constant', { params: { value: t([5, 4], 31) }, inputs: [] })
      .node('sum', 'add', { inputs: ['embed', 'position'] })
      .node('norm', 'layerNorm', {
        params: { gamma: t([4], 32), beta: t([4], 33) },
        config: { epsilon: 1e-6 },
      })
      .node('scores', 'matmul', { inputs: ['norm', 'norm'], config: { transposeB: true } })
      .node('attention', 'softmax', { config: { axis: -1 } })
      .node('mixed', 'matmul', { inputs: ['attention', 'norm'] })
      .node('scaled', 'scaleShift', { params: { scale: t([4], 34), shift: t([4], 35) } })
      .node('pooled', 'reduceMean', { config: { axes: [1] } })
      .node('logits', 'linear', { params: { weight: t([4, 3], 36) } })
      .build();
    const ids = tf.tensor(
      [
        [1, 2, 3, 4, 10],
        [0, 0, 5, 9, 7],
      ],
      [2, 5],
      'int32',
    );
    const { model, weights } = await serializeModel(tokens);
    expect(model.input).toEqual({ name: 'ids', shape: [null, 5], dtype: 'int32' });
    const reloaded = loadModel(JSON.parse(JSON.stringify(model)) as JsonModel, { weights });
    expectTensorsClose(reloaded.run(ids), tokens.run(ids), { atol: 0, rtol: 0 });
    ids.dispose();
  });

  it('stores a tensor shared by two nodes once', async () => {
    const weight = randomTensor([3, 3], 21);
    const shared = new GraphBuilder({ name: 'x' })
      .linear('a', { weight })
      .node('b', 'linear', { params: { weight } })
      .build();
    const { model, weights } = await serializeModel(shared);
    expect(model.weights!.entries).toHaveLength(1);
    expect(model.nodes[1]!.weight).toEqual({ ref: 'a/weight' });
    const v = randomTensor([2, 3], 22);
    expectTensorsClose(loadModel(model, { weights }).run(v), shared.run(v), { atol: 0, rtol: 0 });
  });

  it('writes little-endian float32 at the manifest offsets', async () => {
    const weight = tf.tensor([
      [1.5, -2],
      [0.1, 3e-8],
    ]);
    const { model, weights } = await serializeModel(
      new GraphBuilder({ name: 'x' }).linear('fc', { weight }).build(),
    );
    expect(model.weights!.entries[0]).toEqual({
      name: 'fc/weight',
      shape: [2, 2],
      dtype: 'float32',
      offset: 0,
      byteLength: 16,
    });
    const view = new DataView(weights!.buffer);
    expect([0, 4, 8, 12].map((o) => view.getFloat32(o, true))).toEqual(Array.from(weight.dataSync()));
    // 1.5 = 0x3fc00000: little-endian puts 0x00 first and 0x3f last.
    expect(Array.from(weights!.slice(0, 4))).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('loads and saves files in Node (the .bin beside the JSON)', async () => {
    await withTempDir(async (dir) => {
      const graph = spatialNet();
      const path = join(dir, 'net.json');
      const written = await saveModelFile(graph, path);
      expect(written.weightsPath).toBe(join(dir, 'net.bin'));
      expect((JSON.parse(await readFile(path, 'utf8')) as JsonModel).weights!.path).toBe('net.bin');
      expectTensorsClose((await loadModelFile(path)).run(x), graph.run(x), { atol: 0, rtol: 0 });
    });
  });

  it('reads the public fixture models (inline JSON) and writes them back identically', async () => {
    for (const id of ['cnn_small', 'resblock_pub']) {
      const json = JSON.parse(
        await readFile(fixturePath('conformance', 'models', `${id}.json`), 'utf8'),
      ) as JsonModel;
      const graph = loadModel(json);
      const input = randomTensor([2, ...(json.input as { shape: number[] }).shape.slice(1)], 23);
      const { model, weights } = await serializeModel(graph);
      expectTensorsClose(loadModel(model, { weights }).run(input), graph.run(input), { atol: 0, rtol: 0 });
    }
  });

  it('refuses a truncated or padded .bin with a typed error, and leaves no tensor behind', async () => {
    const { model, weights } = await serializeModel(spatialNet());
    for (const bytes of [
      weights!.slice(0, weights!.byteLength - 4),
      new Uint8Array(weights!.byteLength + 4),
    ]) {
      const leaked = await countTensorsDuring(() => {
        const error = caught(() => loadModel(model, { weights: bytes }));
        expect(GraphError.isInstance(error)).toBe(true);
        expect(error.code).toBe('bad-weights');
        expect(error.message).toContain(`${bytes.byteLength} bytes`);
        expect(error.message).toContain(`expects ${weights!.byteLength}`);
      });
      expect(leaked).toBe(0);
    }
    // A manifest edited to point past the end of the file names the entry.
    const edited = JSON.parse(JSON.stringify(model)) as JsonModel;
    edited.weights!.entries[8]!.offset = weights!.byteLength;
    expect(caught(() => loadModel(edited, { weights })).message).toMatch(/'fc\/bias' needs bytes/);
    // Refs without the bytes say how to pass them.
    expect(caught(() => loadModel(model)).message).toMatch(
      /node 'stem' parameter 'weight'.*loadModel\(json, \{ weights \}\)/,
    );
  });

  it('refuses NaN and ±∞ weights in the .bin and in inline JSON, naming the node', async () => {
    const { model, weights } = await serializeModel(spatialNet());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const corrupt = weights!.slice();
      const dwBias = model.weights!.entries.find((e) => e.name === 'dw/bias')!;
      new DataView(corrupt.buffer).setFloat32(dwBias.offset + 8, bad, true);
      const leaked = await countTensorsDuring(() => {
        const error = caught(() => loadModel(model, { weights: corrupt }));
        expect(GraphError.isInstance(error)).toBe(true);
        expect(error.code).toBe('bad-weights');
        expect(error.message).toContain(`node 'dw' parameter 'bias'`);
        expect(error.message).toContain(`${bad} at flat index 2`);
      });
      expect(leaked).toBe(0);
    }
    // JSON cannot hold NaN; a writer that met one wrote null.
    const inline = (await serializeModel(spatialNet(), { weights: 'inline' })).model;
    (inline.nodes[0]!.bias as { data: unknown[] }).data[1] = null;
    const error = caught(() => loadModel(inline));
    expect(error.code).toBe('bad-weights');
    expect(error.message).toContain(`node 'stem' parameter 'bias'`);
  });

  it('refuses to write NaN weights or a config JSON cannot hold', async () => {
    const nan = new GraphBuilder({ name: 'x' }).linear('fc', { weight: tf.tensor([[Number.NaN]]) }).build();
    await expect(serializeModel(nan)).rejects.toThrow(InvalidArgumentError);
    await expect(serializeModel(nan)).rejects.toThrow(/node 'fc' parameter 'weight'.*finite weights/);
    const infinite = new GraphBuilder({ name: 'x' })
      .node('c', 'clip', { config: { min: 0, max: Number.POSITIVE_INFINITY } })
      .build();
    await expect(serializeModel(infinite)).rejects.toThrow(/node 'c' config 'max'/);
  });
});
