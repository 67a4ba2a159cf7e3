import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { gradients, type Graph } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { loadLayersModel } from './load-layers-model.js';

/*
 * Real networks: the MobileNetV2 and InceptionV3 tfjs-layers models that the nsfwjs package ships (a dev
 * dependency, read from node_modules, never downloaded). Test models only. Their topology and uint8-
 * quantized weight shards are bundled as UMD scripts: model.min.js exports {modelTopology,
 * weightsManifest}; each group1-shard*.min.js exports the shard's bytes as base64.
 */
const modelsDir = join(__dirname, '..', 'node_modules', 'nsfwjs', 'dist', 'models');

function bundledArtifacts(network: string): tf.io.ModelArtifacts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const model = require(join(modelsDir, network, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const shards = model.weightsManifest.flatMap((group) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    group.paths.map((p) => Buffer.from(require(join(modelsDir, network, `${p}.min.js`)) as string, 'base64')),
  );
  const bytes = Buffer.concat(shards);
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** |a − e| ≤ tol·max|e|: relative to the largest reference value, as the issue states the bound. */
function expectRelativelyClose(actual: tf.Tensor, expected: tf.Tensor, tol: number): void {
  const scale = tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]);
  expect(scale).toBeGreaterThan(0);
  expectTensorsClose(actual, expected, { atol: tol * scale, rtol: 0 });
}

// Batch-4 forward and backward passes of real networks on tfjs-backend-cpu take minutes on a small machine.
const timeoutMs = 60 * 60 * 1000;

/**
 * tf.grad straight through the LayersModel's own layers, always on tfjs-backend-cpu: tfjs's fused conv2d
 * gradient computes the filter gradient eagerly and tfjs-backend-wasm has no Conv2DBackpropFilter kernel,
 * so that reference cannot run on wasm at all. The wasm suite thus checks Attrib's wasm gradient against it.
 */
async function onCpu<T>(fn: () => T): Promise<T> {
  const backend = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    await tf.setBackend(backend);
  }
}

const networks = [
  { network: 'mobilenet_v2', size: 224, output: 'dense_3/activation' },
  { network: 'inception_v3', size: 299, output: 'dense_3/activation' },
] as const;

// Opt-in (ATTRIB_REAL_NETWORKS=1): InceptionV3's forward and backward on tfjs-backend-cpu take tens of minutes
// on 2 cores, too long for every `pnpm test`; the 4 `.layers` fixture models cover the importer in every run.
const realNetworks = process.env.ATTRIB_REAL_NETWORKS === '1' ? describe : describe.skip;

realNetworks('nsfwjs networks (ATTRIB_REAL_NETWORKS=1)', () => {
  describeWithBackends('nsfwjs networks imported from tfjs-layers', ['cpu', 'wasm'], () => {
    describe.each(networks)('$network', ({ network, size, output }) => {
      let graph: Graph;
      let model: tfl.LayersModel;

      beforeAll(async () => {
        graph = await loadLayersModel(tf.io.fromMemory(bundledArtifacts(network)));
        model = await tfl.loadLayersModel(tf.io.fromMemory(bundledArtifacts(network)));
      }, timeoutMs);
      afterAll(() => {
        model.dispose();
        for (const node of graph.nodes) tf.dispose(Object.values(node.module.params));
      });

      it('imports every layer; the output is the softmax after the last Dense', () => {
        expect(graph.output).toBe(output);
        expect(graph.node('dense_3').module.kind).toBe('linear');
        expect(graph.inputs[0].shape).toEqual([null, size, size, 3]);
      });

      it(
        'predict and the input gradient of the top class match the LayersModel on 4 random images',
        async () => {
          const before = tf.memory().numTensors;
          const x = randomTensor([4, size, size, 3], size, 0, 1);
          const expected = model.predict(x) as tf.Tensor;
          const actual = graph.run(x);
          expectRelativelyClose(actual, expected, 1e-4);

          const top = Array.from(tf.tidy(() => tf.argMax(expected, 1)).dataSync());
          const oneHot = tf.oneHot(top, expected.shape[1]!);
          const reference = await onCpu(() =>
            tf.grad((input: tf.Tensor) =>
              tf.sum(tf.mul(model.apply(input, { training: false }) as tf.Tensor, oneHot)),
            )(x),
          );
          const result = gradients(graph, x, { target: top });
          expectRelativelyClose(result.inputGradients[0], reference, 1e-3);

          tf.dispose([
            x,
            expected,
            actual,
            oneHot,
            reference,
            result.output,
            result.objective,
            ...result.inputGradients,
          ]);
          expect(tf.memory().numTensors).toBe(before);
        },
        timeoutMs,
      );
    });
  });
});
