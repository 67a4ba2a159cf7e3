import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ModelImportError, loadModel, tensorFromJson } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, fixturePath } from '@attrib/test-utils';
import { importOnnx, modulePath } from './import-onnx.js';
import { loadOnnx } from './load-onnx.js';
import { writeOnnx, type OnnxModelSpec } from './write-onnx.js';
import { tensorSpec } from './onnxruntime.test-helper.js';

const models = ['tower3', 'mlp_pos_neg', 'cnn_small', 'cnn_bn_pub', 'resblock_pub'];
const onnxFile = (id: string) => fixturePath('conformance', 'models', `${id}.onnx`);

/** The first fixture of a model: its NHWC inputs and the reference logits (Captum's expected.output). */
function firstCase(id: string): { inputs: tf.Tensor; output: tf.Tensor } {
  const index = JSON.parse(readFileSync(fixturePath('conformance', 'INDEX.json'), 'utf8')) as {
    cases: Array<{ model: string; file: string }>;
  };
  const entry = index.cases.find((c) => c.model === id)!;
  const fixture = JSON.parse(readFileSync(fixturePath('conformance', entry.file), 'utf8'));
  return { inputs: tensorFromJson(fixture.inputs), output: tensorFromJson(fixture.expected.output) };
}

const paramCount = (graph: { nodes: readonly { module: { params: object } }[] }) =>
  graph.nodes.reduce((n, node) => n + Object.keys(node.module.params).length, 0);

const model = (
  nodes: OnnxModelSpec['nodes'],
  initializers: OnnxModelSpec['initializers'] = {},
): OnnxModelSpec => ({
  inputs: [{ name: 'x', shape: ['N', 2, 4, 4] }],
  outputs: [{ name: nodes[nodes.length - 1].outputs[0] }],
  initializers,
  nodes,
});

describeWithBackends('importOnnx on the exported reference models', ['cpu', 'wasm'], (backend) => {
  it.each(models)('%s gives the reference logits on NHWC inputs', (id) => {
    const graph = importOnnx(readFileSync(onnxFile(id)));
    const { inputs, output } = firstCase(id);
    const logits = graph.run(inputs);
    expectTensorsClose(logits, output, { atol: backend === 'cpu' ? 1e-5 : 1e-4, rtol: 1e-4 });
    tf.dispose([inputs, output, logits]);
  });

  it('names nodes by the module path torch.onnx recorded', () => {
    const graph = importOnnx(readFileSync(onnxFile('resblock_pub')));
    expect(graph.nodes.map((n) => `${n.name}:${n.module.kind}`)).toEqual([
      'stem_conv:conv2d',
      'stem_relu:relu',
      'block.conv1:conv2d',
      'block.relu1:relu',
      'block.conv2:conv2d',
      'block.add:add',
      'block.relu2:relu',
      'pool:maxpool2d',
      '/Flatten:flatten',
      'fc:linear',
    ]);
    expect(graph.node('block.add').inputs).toEqual(['block.conv2', 'stem_relu']);
    expect(graph.inputs).toEqual([{ name: 'x', shape: [null, 8, 8, 3] }]);
  });
});

describeWithBackends('importOnnx on the exported text model', ['cpu', 'wasm'], () => {
  it('tinybert_pub.onnx: embedding, LayerNorm and GELU patterns, attention; the reference logits', () => {
    const graph = importOnnx(readFileSync(fixturePath('conformance-text', 'models', 'tinybert_pub.onnx')));
    const kinds = new Map(graph.nodes.map((n) => [n.name, n.module.kind]));
    expect(
      ['embed', 'blocks.0.ln1', 'blocks.0.q', 'blocks.0.act', 'blocks.1.fc2', 'ln', 'head'].map((n) =>
        kinds.get(n),
      ),
    ).toEqual(['embedding', 'layerNorm', 'linear', 'gelu', 'linear', 'layerNorm', 'linear']);
    expect(graph.inputs).toEqual([{ name: 'ids', shape: [null, 8], dtype: 'int32' }]);
    const fixture = JSON.parse(
      readFileSync(
        fixturePath(
          'conformance-text',
          'cases',
          'tinybert_pub',
          'captum',
          'FeatureAblation',
          'tokens_tokenref.json',
        ),
        'utf8',
      ),
    );
    const ids = tf.tensor(Int32Array.from(fixture.inputs.data), fixture.inputs.shape, 'int32');
    const [logits, expected] = [graph.run(ids), tensorFromJson(fixture.expected.output)];
    expectTensorsClose(logits, expected, { atol: 1e-5, rtol: 1e-4 });
    tf.dispose([ids, logits, expected]);
  });
});

describe('modulePath', () => {
  it('reads nested scopes, bare ops and unscoped names', () => {
    expect(modulePath('/block/conv1/Conv')).toBe('block.conv1');
    expect(modulePath('/layer1/layer1.0/conv1/Conv')).toBe('layer1.0.conv1');
    expect(modulePath('/layer1/layer1.0/Add')).toBe('layer1.0');
    expect(modulePath('/Flatten')).toBeUndefined();
    expect(modulePath('Conv_12')).toBeUndefined();
  });
});

describeWithBackends('importOnnx errors and memory', ['cpu'], () => {
  it('lists every unsupported op type with its nodes, before mapping anything', () => {
    const bytes = writeOnnx(
      model([
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'NonMaxSuppression', inputs: ['a'], outputs: ['b'], name: 'nms' },
        { op: 'Einsum', inputs: ['b'], outputs: ['c'], name: 'e1' },
        { op: 'Einsum', inputs: ['c'], outputs: ['d'], name: 'e2' },
        { op: 'FusedConv', domain: 'com.microsoft', inputs: ['d'], outputs: ['y'], name: 'fused' },
      ]),
    );
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      importOnnx(bytes);
    } catch (e) {
      error = e;
    }
    expect(ModelImportError.isInstance(error)).toBe(true);
    expect((error as ModelImportError).code).toBe('unsupported-op');
    expect((error as Error).message).toBe(
      "importOnnx: the model uses 3 op type(s) this importer does not support: NonMaxSuppression ('nms'); Einsum ('e1', 'e2'); com.microsoft.FusedConv ('fused')",
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an op it cannot map mid-way names the node and frees what was built', () => {
    const bytes = writeOnnx(
      model(
        [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: '/conv/Conv' },
          {
            op: 'Transpose',
            inputs: ['c'],
            outputs: ['y'],
            name: '/t/Transpose',
            attributes: { perm: { ints: [1, 0, 2, 3] } },
          },
        ],
        { w: tensorSpec([3, 2, 1, 1], 1) },
      ),
    );
    const before = tf.memory().numTensors;
    expect(() => importOnnx(bytes)).toThrow(
      "node '/t/Transpose' (Transpose) cannot be imported: perm [1,0,2,3] moves the batch axis",
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an op folded on constants but applied to a computed tensor is a typed error', () => {
    const bytes = writeOnnx(
      model([{ op: 'Expand', inputs: ['x', 'shape'], outputs: ['y'], name: 'grow' }], {
        shape: { shape: [4], data: [1, 2, 4, 4], type: 'int64' },
      }),
    );
    expect(() => importOnnx(bytes)).toThrow(
      "importOnnx: node 'grow' (Expand) cannot be imported: it is supported on constants only (shape arithmetic), and an input here is computed",
    );
  });

  it('holds exactly the parameters of its nodes after an import (no scratch tensor left)', () => {
    const before = tf.memory().numTensors;
    const graph = importOnnx(readFileSync(onnxFile('cnn_small')));
    expect(tf.memory().numTensors - before).toBe(paramCount(graph));
    expect(paramCount(graph)).toBe(6);
  });

  it('says which package reads a file of another format', () => {
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const cases: Array<[Uint8Array, RegExp]> = [
      [
        json({ format: 'layers-model', modelTopology: {} }),
        /tfjs-layers model\.json \(read it with @attrib\/tfjs-layers\)/,
      ],
      [
        readFileSync(fixturePath('conformance', 'models', 'cnn_small.json')),
        /an Attrib model \(read it with loadModel from '@attrib\/core'\)/,
      ],
      [Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0]), /zip archive/],
      [Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a]), /Keras HDF5 file/],
      [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), /do not decode/],
    ];
    for (const [bytes, message] of cases) {
      let error: unknown;
      try {
        importOnnx(bytes);
      } catch (e) {
        error = e;
      }
      expect(ModelImportError.isInstance(error) && (error as ModelImportError).code).toBe('wrong-format');
      expect((error as Error).message).toMatch(message);
    }
  });

  it("core's loadModel says which package reads ONNX bytes and tfjs-layers models", () => {
    const expectRefusal = (value: unknown, reader: RegExp) => {
      let error: unknown;
      try {
        loadModel(value as Parameters<typeof loadModel>[0]);
      } catch (e) {
        error = e;
      }
      expect(ModelImportError.isInstance(error) && (error as ModelImportError).code).toBe('wrong-format');
      expect((error as Error).message).toMatch(reader);
    };
    expectRefusal(readFileSync(onnxFile('tower3')), /importOnnx or loadOnnx from '@attrib\/onnx'/);
    expectRefusal(
      { format: 'layers-model', modelTopology: {}, weightsManifest: [] },
      /tfjs-layers model\.json.*'@attrib\/tfjs-layers'/,
    );
  });

  it('refuses arguments of the wrong type, naming them', () => {
    expect(() => importOnnx('model.onnx' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => importOnnx(new Uint8Array(4), { layout: 'nchw' as 'keep' })).toThrow(
      "Argument 'options.layout' passed to 'importOnnx' must be 'nhwc' or 'keep', but got 'nchw'.",
    );
  });

  it('needs inputShapes for symbolic per-sample sizes', () => {
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'x', shape: ['N', 'T', 3] }],
      outputs: [{ name: 'y' }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    };
    expect(() => importOnnx(writeOnnx(spec))).toThrow(/options.inputShapes\['x'\].*its axis 1 is 'T'/);
    // [N, C, L] is a 1-D signal: channels-last in the default layout, as given with 'keep'.
    expect(importOnnx(writeOnnx(spec), { inputShapes: { x: [5, 3] } }).inputs[0].shape).toEqual([null, 3, 5]);
    const kept = importOnnx(writeOnnx(spec), { inputShapes: { x: [5, 3] }, layout: 'keep' });
    expect(kept.inputs[0].shape).toEqual([null, 5, 3]);
  });
});

describeWithBackends('loadOnnx sources', ['cpu'], () => {
  const bytes = () => readFileSync(onnxFile('mlp_pos_neg'));
  const names = (g: { nodes: readonly { name: string }[] }) => g.nodes.map((n) => n.name);
  const expected = ['fc1', 'relu1', 'fc2', 'relu2', 'fc3'];

  it('reads a path, a file: URL, a data: URL (fetch), a Blob and bytes', async () => {
    expect(names(await loadOnnx(onnxFile('mlp_pos_neg')))).toEqual(expected);
    expect(names(await loadOnnx(new URL(`file://${onnxFile('mlp_pos_neg')}`)))).toEqual(expected);
    const dataUrl = `data:application/octet-stream;base64,${Buffer.from(bytes()).toString('base64')}`;
    expect(names(await loadOnnx(dataUrl))).toEqual(expected);
    expect(names(await loadOnnx(new Blob([bytes()])))).toEqual(expected);
    expect(names(await loadOnnx(bytes().buffer.slice(0) as ArrayBuffer))).toEqual(expected);
  });

  it('refuses other values', async () => {
    await expect(loadOnnx(42 as unknown as string)).rejects.toThrow(InvalidArgumentError);
  });

  it('agrees with the Attrib JSON of the same model', async () => {
    const graph = await loadOnnx(bytes());
    const reference = loadModel(
      JSON.parse(readFileSync(fixturePath('conformance', 'models', 'mlp_pos_neg.json'), 'utf8')),
    );
    const x = tf.randomNormal([3, 96], 0, 1, 'float32', 3);
    const [a, b] = [graph.run(x), reference.run(x)];
    expectTensorsClose(a, b, { atol: 1e-5 });
    tf.dispose([x, a, b]);
  });
});
