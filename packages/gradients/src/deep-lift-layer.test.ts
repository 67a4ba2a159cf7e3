import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownNodeError, loadModel } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  literalDeepLiftMlp,
  literalMlpFromSpec,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { deepLift } from './deep-lift.js';
import { layerDeepLift } from './deep-lift-layer.js';

describeWithBackends('layerDeepLift', ['cpu'], () => {
  const spec = tinyModels.mlp();
  const graph = loadModel(spec);
  const x = randomTensor([2, 3], 29);
  const b = randomTensor([2, 3], 39);
  const literal = literalDeepLiftMlp(
    literalMlpFromSpec(spec),
    x.arraySync() as number[][],
    b.arraySync() as number[][],
    [1, 0],
  );

  it('at a linear output and at an activation output: literal values, delta ≈ 0', () => {
    const fc1 = layerDeepLift(graph, x, {
      layer: 'fc1',
      target: [1, 0],
      baselines: b,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(fc1.attributions, literal.map((r) => r.hidden).flat(), { atol: 1e-6 });
    expectTensorsClose(fc1.delta!, [0, 0], { atol: 1e-5 });
    const relu = layerDeepLift(graph, x, {
      layer: 'relu1',
      target: [1, 0],
      baselines: b,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(relu.attributions, literal.map((r) => r.activationOutput).flat(), { atol: 1e-6 });
    expectTensorsClose(relu.delta!, [0, 0], { atol: 1e-5 });
  });

  it("at a layer's input: Δin times the layer's plain gradient (Captum's hook order), not its multiplier", () => {
    const atInput = layerDeepLift(graph, x, {
      layer: 'relu1',
      target: [1, 0],
      baselines: b,
      attributeToLayerInput: true,
    });
    expectTensorsClose(atInput.attributions, literal.map((r) => r.activationInput).flat(), { atol: 1e-6 });
  });

  it('at the input of the first layer equals deepLift; multiplyByInputs=false gives the multipliers', () => {
    const first = layerDeepLift(graph, x, {
      layer: 'fc1',
      attributeToLayerInput: true,
      target: 1,
      baselines: b,
    }).attributions;
    expectTensorsClose(first, deepLift(graph, x, { target: 1, baselines: b }).attributions, { atol: 1e-7 });
    const multipliers = layerDeepLift(graph, x, {
      layer: 'fc1',
      target: 1,
      baselines: b,
      multiplyByInputs: false,
    }).attributions;
    const delta = tf.tidy(() =>
      tf.sub(graph.forward(x).values.get('fc1')!, graph.forward(b).values.get('fc1')!),
    );
    expectTensorsClose(
      tf.mul(multipliers, delta),
      layerDeepLift(graph, x, { layer: 'fc1', target: 1, baselines: b }).attributions,
      { atol: 1e-7 },
    );
  });

  it("at a ReLU feeding a max-pool: the pool's DeepLift rule reaches the layer, so Σ attr = f(x) − f(b)", () => {
    const cnn = loadModel(tinyModels.cnn());
    const xc = randomTensor([3, 4, 4, 2], 43);
    const bc = randomTensor([3, 4, 4, 2], 44);
    const { delta } = layerDeepLift(cnn, xc, {
      layer: 'relu',
      target: [0, 1, 2],
      baselines: bc,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(delta!, [0, 0, 0], { atol: 1e-5 });
  });

  it('leaks nothing, leaves no hook behind, and throws typed errors', async () => {
    const cnn = loadModel(tinyModels.cnn());
    const xc = randomTensor([2, 4, 4, 2], 40);
    await expectNoLeaks(() =>
      layerDeepLift(cnn, xc, { layer: 'relu', target: 1, returnConvergenceDelta: true }),
    );
    await expectNoLeaks(() =>
      layerDeepLift(cnn, xc, { layer: 'pool', target: 1, attributeToLayerInput: true }),
    );
    await expectNoLeaks(() =>
      expect(() => layerDeepLift(cnn, xc, { layer: 'bn', target: 3 })).toThrow(InvalidArgumentError),
    );
    expect(cnn.hooks).toHaveLength(0);
    expect(() => layerDeepLift(graph, x, { layer: 'fc9', target: 0 })).toThrow(UnknownNodeError);
    expect(() => layerDeepLift(graph, x, { layer: 'fc1', target: 2 })).toThrow(
      /'target' passed to 'layerDeepLift'/,
    );
    expect(() => layerDeepLift(graph, x, { layer: 3 as unknown as string, target: 0 })).toThrow(
      /'layer' passed to 'layerDeepLift'/,
    );
  });
});
