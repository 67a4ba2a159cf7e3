import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type Graph } from '@attrib/core';
import { importOnnx } from '@attrib/onnx';
import { compareToBaseline, type BenchRow, type BenchSuite } from '../harness.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'fixtures');

/** What an import allocated (its parameters), returned so the harness frees it after timing. */
const params = (graph: Graph) => graph.nodes.flatMap((n) => Object.values(n.module.params));

export const suite: BenchSuite = {
  name: 'onnx-import',
  description:
    'importOnnx: import time against loading the same model from attrib-model JSON, and the imported forward pass',
  async run({ scale }) {
    const rows: BenchRow[] = [];
    const iterations = Math.max(1, Math.round(5 * scale));
    const json = JSON.parse(
      readFileSync(join(fixtures, 'conformance', 'models', 'resblock_pub.json'), 'utf8'),
    );
    const onnx = readFileSync(join(fixtures, 'conformance', 'models', 'resblock_pub.onnx'));
    rows.push(
      ...(await compareToBaseline(
        'resblock_pub: build the graph',
        { name: 'loadModel(attrib-model JSON)', fn: () => params(loadModel(json)) },
        [{ name: 'importOnnx(.onnx bytes)', fn: () => params(importOnnx(onnx)) }],
        { iterations },
      )),
    );
    const [fromJson, fromOnnx] = [loadModel(json), importOnnx(onnx)];
    const images = tf.randomUniform([32, 8, 8, 3], -1, 1, 'float32', 5);
    rows.push(
      ...(await compareToBaseline(
        'resblock_pub: forward, batch 32',
        { name: 'JSON graph', fn: () => fromJson.run(images) },
        [{ name: 'imported ONNX graph', fn: () => fromOnnx.run(images) }],
        { iterations },
      )),
    );
    const bert = readFileSync(join(fixtures, 'conformance-text', 'models', 'tinybert_pub.onnx'));
    const imported = importOnnx(bert);
    const ids = tf.tensor2d(
      Int32Array.from({ length: 32 * 8 }, (_, i) => (i * 7) % 40),
      [32, 8],
      'int32',
    );
    rows.push(
      ...(await compareToBaseline(
        'tinybert_pub: import time in forward passes (batch 32)',
        { name: 'forward of the imported graph', fn: () => imported.run(ids) },
        [{ name: 'importOnnx(.onnx bytes)', fn: () => params(importOnnx(bert)) }],
        { iterations },
      )),
    );
    tf.dispose([images, ids, ...params(fromJson), ...params(fromOnnx), ...params(imported)]);
    return rows;
  },
};
