import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel, type Graph } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { layerGradCam } from './grad-cam.js';
import { guidedBackprop } from './guided-backprop.js';
import { guidedGradCam } from './guided-grad-cam.js';

/** Grad-CAM from its definition, one sample at a time, with nested loops over [h, w, c]. */
function literalGradCam(
  graph: Graph,
  x: tf.Tensor,
  layer: string,
  targets: number[],
  relu: boolean,
): number[][][][] {
  return targets.map((t, i) => {
    const xi = tf.slice(x, i, 1);
    const activation = tf.tidy(() => graph.forward(xi).values.get(layer)!.arraySync() as number[][][][])[0];
    const logit = (a: tf.Tensor) =>
      tf.sum(
        tf.slice(graph.forward(xi, { hooks: [{ node: layer, after: () => a }] }).output, [0, t], [1, 1]),
      );
    const gradient = tf.tidy(
      () =>
        tf
          .grad(logit)(tf.tensor([activation]))
          .arraySync() as number[][][][],
    )[0];
    const [h, w, c] = [activation.length, activation[0].length, activation[0][0].length];
    const weights = Array.from(
      { length: c },
      (_, k) => gradient.flat().reduce((s, cell) => s + cell[k], 0) / (h * w),
    );
    return activation.map((row) =>
      row.map((cell) => {
        const value = cell.reduce((s, a, k) => s + weights[k] * a, 0);
        return [relu ? Math.max(value, 0) : value];
      }),
    );
  });
}

/** Nearest-neighbour upsampling by index arithmetic: source row ⌊i·h/H⌋, column ⌊j·w/W⌋. */
function literalUpsample(map: number[][][][], height: number, width: number): number[][][][] {
  return map.map((sample) =>
    Array.from({ length: height }, (_, i) =>
      Array.from(
        { length: width },
        (_, j) =>
          sample[Math.floor((i * sample.length) / height)][Math.floor((j * sample[0].length) / width)],
      ),
    ),
  );
}

describeWithBackends('layerGradCam, guidedGradCam', ['cpu'], () => {
  const graph = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 51);
  const targets = [2, 0, 1];

  for (const layer of ['conv', 'relu', 'pool']) {
    for (const relu of [false, true]) {
      it(`${layer}${relu ? ', reluAttributions' : ''}: equals the literal definition, batched`, () => {
        const { attributions } = layerGradCam(graph, x, { layer, target: targets, reluAttributions: relu });
        expectTensorsClose(attributions, tf.tensor(literalGradCam(graph, x, layer, targets, relu)), {
          atol: 1e-6,
          rtol: 1e-5,
        });
      });
    }
  }

  it('attributeToLayerInput reads the tensor entering the layer; attrDimSummation=false keeps channels', () => {
    const atInput = layerGradCam(graph, x, {
      layer: 'pool',
      attributeToLayerInput: true,
      target: targets,
    }).attributions;
    expectTensorsClose(atInput, layerGradCam(graph, x, { layer: 'relu', target: targets }).attributions, {
      atol: 0,
      rtol: 0,
    });
    const perChannel = layerGradCam(graph, x, {
      layer: 'relu',
      target: targets,
      attrDimSummation: false,
    }).attributions;
    expect(perChannel.shape).toEqual([3, 4, 4, 3]);
    expectTensorsClose(tf.sum(perChannel, -1, true), atInput, { atol: 1e-6 });
  });

  it('upsampleToInput resizes by nearest neighbour; guidedGradCam = guided backprop × that map', () => {
    const cam = layerGradCam(graph, x, { layer: 'pool', target: targets, reluAttributions: true });
    const up = literalUpsample(cam.attributions.arraySync() as number[][][][], 4, 4);
    const upsampled = layerGradCam(graph, x, {
      layer: 'pool',
      target: targets,
      reluAttributions: true,
      upsampleToInput: true,
    }).attributions;
    expectTensorsClose(upsampled, tf.tensor(up), { atol: 0, rtol: 0 });
    const guided = guidedBackprop(graph, x, { target: targets }).attributions;
    const expected = tf.mul(guided, tf.tensor(up));
    expectTensorsClose(guidedGradCam(graph, x, { layer: 'pool', target: targets }).attributions, expected, {
      atol: 1e-7,
    });
  });

  it('works on a dense layer (no spatial axes): Σ_units gradient·activation', () => {
    const mlp = loadModel(tinyModels.mlp());
    const xm = randomTensor([2, 3], 52);
    const { attributions } = layerGradCam(mlp, xm, { layer: 'relu1', target: 1 });
    const w2 = mlp.node('fc2').module.params.weight;
    const expected = tf.tidy(() =>
      tf.sum(
        tf.mul(mlp.forward(xm).values.get('relu1')!, tf.reshape(tf.slice(w2, [0, 1], [-1, 1]), [1, -1])),
        1,
        true,
      ),
    );
    expectTensorsClose(attributions, expected, { atol: 1e-6 });
  });

  it('leaks nothing and throws typed errors', async () => {
    await expectNoLeaks(() =>
      layerGradCam(graph, x, { layer: 'relu', target: targets, upsampleToInput: true }),
    );
    await expectNoLeaks(() => guidedGradCam(graph, x, { layer: 'pool', target: 1 }));
    await expectNoLeaks(() =>
      expect(() => layerGradCam(graph, x, { layer: 'relu', target: 3 })).toThrow(InvalidArgumentError),
    );
    expect(() => layerGradCam(graph, x, { layer: 'nope', target: 0 })).toThrow(UnknownNodeError);
    expect(() => layerGradCam(graph, x, { layer: 'relu', target: 3 })).toThrow(
      /'target' passed to 'layerGradCam'/,
    );
    expect(() => layerGradCam(graph, tf.fill([1, 4, 4, 2], NaN), { layer: 'relu', target: 0 })).toThrow(
      /'inputs' passed to 'layerGradCam' must be finite/,
    );
    expect(() => layerGradCam(graph, tf.zeros([1, 4, 4, 3]), { layer: 'relu', target: 0 })).toThrow(
      /'inputs' passed to 'layerGradCam'/,
    );
    expect(() => guidedGradCam(graph, x, { layer: 'fc', target: 0 })).toThrow(
      /'upsampleToInput' passed to 'guidedGradCam'/,
    );
    expect(() => guidedGradCam(graph, x, { layer: 'relu', target: 5 })).toThrow(
      /'target' passed to 'guidedGradCam'/,
    );
    expect(() => guidedGradCam(graph, x, undefined as never)).toThrow(/'layer' passed to 'guidedGradCam'/);
  });
});

describeWithBackends('layerGradCam smoke', ['wasm'], () => {
  // At 'conv' (below the ReLU) max-pool ties among zeros cannot matter; wasm breaks such ties
  // differently from cpu, and differently for a batch than for one sample.
  it('matches the literal definition', () => {
    const graph = loadModel(tinyModels.cnn());
    const x = randomTensor([2, 4, 4, 2], 53);
    const { attributions } = layerGradCam(graph, x, { layer: 'conv', target: [0, 1] });
    expectTensorsClose(attributions, tf.tensor(literalGradCam(graph, x, 'conv', [0, 1], false)), {
      atol: 1e-5,
      rtol: 1e-4,
    });
  });
});
