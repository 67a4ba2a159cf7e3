import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Graph } from '@attrib/core';
import { loadLayersModel } from '@attrib/tfjs-layers';
import { compareToBaseline, type BenchRow, type BenchSuite } from '../harness.js';

const require = createRequire(import.meta.url);
// nsfwjs's main entry is dist/cjs/index.js; its bundled models sit in dist/models.
const modelsDir = join(dirname(require.resolve('nsfwjs')), '..', 'models');

/**
 * The MobileNetV2 that nsfwjs ships (a test model, read from node_modules): topology and base64 weight
 * shards bundled as UMD scripts.
 */
function mobilenetArtifacts(): tf.io.ModelArtifacts {
  const dir = join(modelsDir, 'mobilenet_v2');
  const model = require(join(dir, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const bytes = Buffer.concat(
    model.weightsManifest.flatMap((group) =>
      group.paths.map((p) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64')),
    ),
  );
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** What an import allocated (its parameters), returned so the harness frees it after timing. */
const params = (graph: Graph) => graph.nodes.flatMap((n) => Object.values(n.module.params));

export const suite: BenchSuite = {
  name: 'layers-import',
  description:
    'nsfwjs MobileNetV2 through @attrib/tfjs-layers: import time against tfjs-layers loading it, and the forward pass against tf.LayersModel.predict',
  async run({ scale }) {
    const rows: BenchRow[] = [];
    const iterations = Math.max(1, Math.round(3 * scale));
    const artifacts = mobilenetArtifacts();
    rows.push(
      ...(await compareToBaseline(
        'MobileNetV2: load',
        {
          name: 'tfl.loadLayersModel',
          fn: async () => (await tfl.loadLayersModel(tf.io.fromMemory(artifacts))).dispose(),
        },
        [
          {
            name: 'loadLayersModel → Graph (tfjs-layers load + import)',
            fn: async () => params(await loadLayersModel(tf.io.fromMemory(artifacts))),
          },
        ],
        { iterations, rounds: 2 },
      )),
    );
    const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    const graph = await loadLayersModel(tf.io.fromMemory(artifacts));
    const images = tf.randomUniform([4, 224, 224, 3], 0, 1, 'float32', 3);
    rows.push(
      ...(await compareToBaseline(
        'MobileNetV2: forward, batch 4',
        { name: 'tf.LayersModel.predict', fn: () => model.predict(images) },
        [{ name: 'imported graph.run', fn: () => graph.run(images) }],
        { iterations, rounds: 2 },
      )),
    );
    model.dispose();
    tf.dispose([images, ...params(graph)]);
    return rows;
  },
};
