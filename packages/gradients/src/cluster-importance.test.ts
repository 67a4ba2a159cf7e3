import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { clusterNeuronImportance, mergeClusterImportance, type ClusterBatchInput } from './index.js';

/**
 * The researcher's loop, written out: per sample one forward pass and one tf.grad of out[0, t] with
 * respect to the layer tensor z (fed back in through a hook), then plain averages on the host.
 */
function perSampleLoop(model: Graph, inputs: tf.Tensor, layer: string, targets: number[]) {
  const grads: number[][] = [];
  const acts: number[][] = [];
  for (let i = 0; i < inputs.shape[0]; i++) {
    tf.tidy(() => {
      const x = tf.slice(inputs, i, 1);
      const z = model.forward(x).values.get(layer)!;
      const outOf = (zz: tf.Tensor) => {
        const out = model.forward(x, { hooks: [{ node: layer, after: () => zz }] }).output;
        return tf.squeeze(tf.slice(tf.reshape(out, [1, -1]), [0, targets[i]], [1, 1])) as tf.Scalar;
      };
      grads.push(Array.from(tf.grad(outOf)(z).dataSync()));
      acts.push(Array.from(z.dataSync()));
    });
  }
  const units = grads[0].length;
  const average = (f: (i: number, u: number) => number) =>
    Array.from({ length: units }, (_, u) => grads.reduce((sum, _g, i) => sum + f(i, u), 0) / grads.length);
  return {
    mean: average((i, u) => grads[i][u]),
    meanAbs: average((i, u) => Math.abs(grads[i][u])),
    meanGradXAct: average((i, u) => grads[i][u] * acts[i][u]),
  };
}

async function* batchesOf(
  inputs: tf.Tensor,
  size: number,
  targets?: number[],
): AsyncIterable<ClusterBatchInput> {
  for (let start = 0; start < inputs.shape[0]; start += size) {
    const rows = Math.min(size, inputs.shape[0] - start);
    yield { inputs: tf.slice(inputs, start, rows), targets: targets?.slice(start, start + rows) };
  }
}

describeWithBackends('clusterNeuronImportance', ['cpu'], () => {
  let mlp: Graph;
  let cnn: Graph;
  let x: tf.Tensor;
  let images: tf.Tensor;
  const targets = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1];
  beforeAll(() => {
    mlp = loadModel(tinyModels.mlp());
    cnn = loadModel(tinyModels.cnn());
    x = randomTensor([13, 3], 11, -2, 2);
    images = randomTensor([5, 4, 4, 2], 12);
  });

  it('equals the per-sample loop (one forward and one backward per sample)', async () => {
    const { all } = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { all: x },
      target: targets,
      batchSize: 4,
    });
    const loop = perSampleLoop(mlp, x, 'fc1', targets);
    expect(all.count).toBe(13);
    expectTensorsClose(all.mean, loop.mean, { atol: 1e-6 });
    expectTensorsClose(all.meanAbs, loop.meanAbs, { atol: 1e-6 });
    expectTensorsClose(all.meanGradXAct, loop.meanGradXAct, { atol: 1e-6 });
  });

  it('flattens a conv layer NHWC and scores what enters a node with attributeToLayerInput', async () => {
    const imageTargets = [2, 0, 1, 2, 0];
    const { conv } = await clusterNeuronImportance(cnn, {
      layer: 'conv',
      clusters: { conv: images },
      target: imageTargets,
    });
    const { input } = await clusterNeuronImportance(cnn, {
      layer: 'bn',
      attributeToLayerInput: true,
      clusters: { input: images },
      target: imageTargets,
    });
    const loop = perSampleLoop(cnn, images, 'conv', imageTargets);
    expect(conv.mean.length).toBe(4 * 4 * 3);
    expectTensorsClose(conv.meanAbs, loop.meanAbs, { atol: 1e-6 });
    expectTensorsClose(input.meanGradXAct, loop.meanGradXAct, { atol: 1e-6 });
  });

  it('takes targets from each cluster, else from the target option; arrays are named by index', async () => {
    const a = tf.slice(x, 0, 6);
    const b = tf.slice(x, 6, 7);
    const scores = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: [{ inputs: a, targets: targets.slice(0, 6) }, b],
      target: 1,
    });
    expect(Object.keys(scores)).toEqual(['0', '1']);
    expectTensorsClose(scores['0'].mean, perSampleLoop(mlp, a, 'fc1', targets.slice(0, 6)).mean, {
      atol: 1e-6,
    });
    expectTensorsClose(scores['1'].mean, perSampleLoop(mlp, b, 'fc1', new Array(7).fill(1)).mean, {
      atol: 1e-6,
    });
    tf.dispose([a, b]);
  });

  it('streams an async iterable in bounded batches to the same result as one shot', async () => {
    const before = tf.memory().numTensors;
    const { streamed } = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { streamed: batchesOf(x, 5, targets) },
      batchSize: 2,
    });
    // The yielded batches were handed over and freed.
    expect(tf.memory().numTensors).toBe(before);
    const { oneShot } = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { oneShot: { inputs: x, targets } },
    });
    expect(streamed.count).toBe(oneShot.count);
    expectTensorsClose(streamed.mean, oneShot.mean, { atol: 1e-7 });
    expectTensorsClose(streamed.meanAbs, oneShot.meanAbs, { atol: 1e-7 });
    expectTensorsClose(streamed.stats.gradXAct.variance(), oneShot.stats.gradXAct.variance(), { atol: 1e-7 });
  });

  it('merges shards into what one pass over all of them gives', async () => {
    const [head, tail] = tf.split(x, [4, 9]);
    const shards = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: {
        a: { inputs: head, targets: targets.slice(0, 4) },
        b: { inputs: tail, targets: targets.slice(4) },
      },
    });
    tf.dispose([head, tail]);
    const { all } = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { all: { inputs: x, targets } },
    });
    const merged = mergeClusterImportance(shards.a, shards.b);
    expect(merged.count).toBe(13);
    expectTensorsClose(merged.mean, all.mean, { atol: 1e-7 });
    expectTensorsClose(merged.meanAbs, all.meanAbs, { atol: 1e-7 });
    expectTensorsClose(merged.meanGradXAct, all.meanGradXAct, { atol: 1e-7 });
    expectTensorsClose(merged.stats.gradient.variance(), all.stats.gradient.variance(), { atol: 1e-7 });
    // Merging leaves its arguments as they were.
    expect(shards.a.count).toBe(4);
  });

  it('averages |g| per sample, so gradients whose signs cancel in the mean still count', async () => {
    const { all } = await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { all: x },
      target: targets,
      batchSize: 4,
    });
    // Literal float64: d out[t] / d fc1_j = W2[j][t] where fc1_j > 0, else 0 (weights are [in][out]).
    type Dense = { weight: { data: number[] }; bias: { data: number[] } };
    const [fc1, , fc2] = tinyModels.mlp().nodes as unknown as Dense[];
    const grads = (x.arraySync() as number[][]).map((row, n) =>
      fc1.bias.data.map((bias, j) => {
        const z = row.reduce((sum, v, i) => sum + v * fc1.weight.data[i * 4 + j], bias);
        return z > 0 ? fc2.weight.data[j * 2 + targets[n]] : 0;
      }),
    );
    const average = (f: (g: number) => number) =>
      grads[0].map((_, j) => grads.reduce((sum, g) => sum + f(g[j]), 0) / grads.length);
    const [mean, meanAbs] = [average((g) => g), average(Math.abs)];
    expectTensorsClose(all.mean, mean, { atol: 1e-6 });
    expectTensorsClose(all.meanAbs, meanAbs, { atol: 1e-6 });
    // The inputs make at least one unit's gradient change sign across samples, so |mean| < mean|g|
    // there: an implementation taking |·| of a batch sum or of the mean fails the line above.
    expect(Math.max(...meanAbs.map((m, j) => m - Math.abs(mean[j])))).toBeGreaterThan(0.05);
  });

  it('reports progress per batch up to the total', async () => {
    const seen: Array<[number, number, string | undefined]> = [];
    await clusterNeuronImportance(mlp, {
      layer: 'fc1',
      clusters: { all: x },
      target: 0,
      batchSize: 5,
      onProgress: (p) => seen.push([p.done, p.total, p.stage]),
    });
    expect(seen).toEqual([
      [5, 13, 'all'],
      [10, 13, 'all'],
      [13, 13, 'all'],
    ]);
  });

  it('leaks no tensor', async () => {
    await expectNoLeaks(() =>
      clusterNeuronImportance(mlp, {
        layer: 'fc1',
        clusters: { all: x, more: { inputs: x, targets } },
        target: 1,
        batchSize: 3,
      }),
    );
    await expectNoLeaks(() =>
      clusterNeuronImportance(cnn, { layer: 'pool', clusters: { images }, target: 0 }),
    );
  });

  describe('typed errors', () => {
    const rejects = async (
      promise: Promise<unknown>,
      type: { isInstance(e: unknown): boolean },
      message: RegExp,
    ) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(type.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    };

    it('names the argument, the function, what was expected and what arrived', async () => {
      const before = tf.memory().numTensors;
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc9', clusters: { all: x }, target: 0 }),
        UnknownNodeError,
        /clusterNeuronImportance: no node named 'fc9'.*'fc1'/,
      );
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { all: x }, target: 2 }),
        InvalidArgumentError,
        /'target' passed to 'clusterNeuronImportance' must be a class index in \[0, 2\), but got 2/,
      );
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { all: x } }),
        InvalidArgumentError,
        /'target'.*given when the output has 2 columns/,
      );
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { all: x }, target: [0, 1] }),
        InvalidArgumentError,
        /'target'.*one target per sample \(13\)/,
      );
      const empty = tf.zeros([0, 3]);
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { none: empty }, target: 0 }),
        InvalidArgumentError,
        /'clusters.none'.*at least one sample/,
      );
      empty.dispose();
      await rejects(
        clusterNeuronImportance(mlp, {
          layer: 'fc1',
          clusters: { none: (async function* () {})() },
          target: 0,
        }),
        InvalidArgumentError,
        /'clusters.none'.*at least one sample/,
      );
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: {}, target: 0 }),
        InvalidArgumentError,
        /'clusters'.*at least one cluster/,
      );
      await rejects(
        clusterNeuronImportance(mlp, {
          layer: 'fc1',
          clusters: { bad: [1, 2] as unknown as tf.Tensor },
          target: 0,
        }),
        InvalidArgumentError,
        /'clusters.bad'.*a tensor/,
      );
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { all: x }, target: 0, internalBatchSize: 0 }),
        InvalidArgumentError,
        /'internalBatchSize'.*a positive integer, but got 0/,
      );
      const withNaN = tf.tensor2d([[0, NaN, 1]]);
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { nan: withNaN }, target: 0 }),
        InvalidArgumentError,
        /'clusters.nan'.*finite numbers/,
      );
      withNaN.dispose();
      expect(mlp.hooks).toHaveLength(0);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('frees handed-over batches when a streamed cluster fails midway', async () => {
      const before = tf.memory().numTensors;
      async function* badTargets() {
        yield { inputs: tf.slice(x, 0, 3), targets: [0, 1, 0] };
        yield { inputs: tf.slice(x, 3, 3), targets: [0, 5, 0] };
      }
      await rejects(
        clusterNeuronImportance(mlp, { layer: 'fc1', clusters: { s: badTargets() } }),
        InvalidArgumentError,
        /class index in \[0, 2\)/,
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describeWithBackends('clusterNeuronImportance smoke', ['wasm'], () => {
  it('matches the per-sample loop on wasm and leaks nothing', async () => {
    const model = loadModel(tinyModels.mlp());
    const x = randomTensor([6, 3], 3);
    const targets = [0, 1, 0, 1, 1, 0];
    await expectNoLeaks(() =>
      clusterNeuronImportance(model, { layer: 'fc1', clusters: { x }, target: targets, batchSize: 4 }),
    );
    const { x: scores } = await clusterNeuronImportance(model, {
      layer: 'fc1',
      clusters: { x },
      target: targets,
      batchSize: 4,
    });
    expectTensorsClose(scores.meanGradXAct, perSampleLoop(model, x, 'fc1', targets).meanGradXAct, {
      atol: 1e-5,
    });
    x.dispose();
  });
});
