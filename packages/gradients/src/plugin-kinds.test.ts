import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { UnsupportedKindError, loadModel, registerKind, type Graph, type KindDefinition } from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  fixturePath,
  randomTensor,
  tinyModels,
  type TinyModelSpec,
} from '@attrib/test-utils';
// Each from its own file, so this suite does not depend on the rest of the package loading.
import { deconvolution, neuronDeconvolution } from './deconvolution.js';
import { deepLift } from './deep-lift.js';
import { layerDeepLift } from './deep-lift-layer.js';
import { neuronDeepLift } from './deep-lift-neuron.js';
import { deepLiftShap } from './deep-lift-shap.js';
import { guidedBackprop, neuronGuidedBackprop } from './guided-backprop.js';
import { guidedGradCam } from './guided-grad-cam.js';

// Two plugin kinds with ReLU's forward: one declaring ReLU's behaviour, one declaring none. The
// declared one must be treated exactly as the built-in relu; the bare one refused by every rule.
const reluForward: KindDefinition['forward'] = ([x]) => tf.relu(x);
registerKind({
  kind: 'pluginRelu',
  category: 'activation',
  arity: 1,
  paramNames: [],
  behaviour: { map: 'elementwise', relu: true, lrp: 'activation' },
  forward: reluForward,
});
registerKind({ kind: 'bareRelu', category: 'activation', arity: 1, paramNames: [], forward: reluForward });

/** The same model with every relu node run by `kind`. */
function withReluKind(spec: TinyModelSpec, kind: string): TinyModelSpec {
  return { ...spec, nodes: spec.nodes.map((n) => (n.op === 'relu' ? { ...n, op: kind } : n)) };
}

const cnnSmall = JSON.parse(
  readFileSync(fixturePath('conformance', 'models', 'cnn_small.json'), 'utf8'),
) as TinyModelSpec;

/** A neuron selector for any layer shape: the sum of the whole layer, per sample. */
const sumOfLayer = (a: tf.Tensor) => tf.sum(tf.reshape(a, [a.shape[0], -1]), 1);

const bitIdentical = (actual: tf.Tensor, expected: tf.Tensor) => {
  expect(actual.shape).toEqual(expected.shape);
  expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
};

describeWithBackends('a plugin kind that declares ReLU behaviour', ['cpu', 'wasm'], () => {
  const cases: Array<[string, TinyModelSpec, number[], string]> = [
    ['tiny cnn (conv, batchnorm, relu, max-pool)', tinyModels.cnn(), [3, 4, 4, 2], 'relu'],
    ['cnn_small (two relus, max- and average pool)', cnnSmall, [2, 16, 16, 3], 'relu1'],
    ['mlp', tinyModels.mlp(), [4, 3], 'relu1'],
  ];
  for (const [title, spec, shape, reluNode] of cases) {
    it(`gets the built-in relu's results, bit for bit: ${title}`, () => {
      const builtin = loadModel(spec);
      const plugin = loadModel(withReluKind(spec, 'pluginRelu'));
      const x = randomTensor(shape, 11);
      // A baseline that closes some ReLUs x opens, so rescale, guided and deconvolution masks all matter.
      const baselines = tf.mul(randomTensor(shape, 12), 0.5);
      const runs: Array<[string, (g: Graph) => tf.Tensor[]]> = [
        [
          'deepLift',
          (g) => {
            const r = deepLift(g, x, { target: 1, baselines, returnConvergenceDelta: true });
            return [r.attributions, r.delta!];
          },
        ],
        [
          'deepLiftShap',
          (g) => [deepLiftShap(g, x, { target: 0, baselines: tf.slice(baselines, 0, 2) }).attributions],
        ],
        [
          'layerDeepLift',
          (g) => [layerDeepLift(g, x, { target: 1, layer: reluNode, baselines }).attributions],
        ],
        [
          'neuronDeepLift',
          (g) => [neuronDeepLift(g, x, { layer: reluNode, neuron: sumOfLayer, baselines }).attributions],
        ],
        ['guidedBackprop', (g) => [guidedBackprop(g, x, { target: 1 }).attributions]],
        ['deconvolution', (g) => [deconvolution(g, x, { target: 1 }).attributions]],
        [
          'neuronGuidedBackprop',
          (g) => [neuronGuidedBackprop(g, x, { layer: reluNode, neuron: sumOfLayer }).attributions],
        ],
        [
          'neuronDeconvolution',
          (g) => [neuronDeconvolution(g, x, { layer: reluNode, neuron: sumOfLayer }).attributions],
        ],
      ];
      for (const [method, run] of runs) {
        const expected = run(builtin);
        const actual = run(plugin);
        expected.forEach((e, k) => {
          try {
            bitIdentical(actual[k], e);
          } catch (error) {
            throw new Error(`${method}, result ${k}: ${(error as Error).message}`);
          }
        });
        tf.dispose([...expected, ...actual]);
      }
      tf.dispose([x, baselines]);
    });
  }

  it('guided Grad-CAM of a conv net too', () => {
    const x = randomTensor([2, 16, 16, 3], 13);
    const options = { target: 3, layer: 'conv2' };
    const expected = guidedGradCam(loadModel(cnnSmall), x, options).attributions;
    bitIdentical(
      guidedGradCam(loadModel(withReluKind(cnnSmall, 'pluginRelu')), x, options).attributions,
      expected,
    );
  });
});

describeWithBackends('a plugin kind that declares no behaviour', ['cpu', 'wasm'], () => {
  const model = loadModel(withReluKind(tinyModels.cnn(), 'bareRelu'));
  const x = randomTensor([2, 4, 4, 2], 21);
  const shapBaselines = tf.zeros([2, 4, 4, 2]);
  const methods: Array<[string, () => unknown]> = [
    ['deepLift', () => deepLift(model, x, { target: 0 })],
    ['deepLiftShap', () => deepLiftShap(model, x, { target: 0, baselines: shapBaselines })],
    ['layerDeepLift', () => layerDeepLift(model, x, { target: 0, layer: 'conv' })],
    ['neuronDeepLift', () => neuronDeepLift(model, x, { layer: 'fc', neuron: 0 })],
    ['guidedBackprop', () => guidedBackprop(model, x, { target: 0 })],
    ['neuronGuidedBackprop', () => neuronGuidedBackprop(model, x, { layer: 'fc', neuron: 0 })],
    ['deconvolution', () => deconvolution(model, x, { target: 0 })],
    ['neuronDeconvolution', () => neuronDeconvolution(model, x, { layer: 'fc', neuron: 0 })],
    ['guidedGradCam', () => guidedGradCam(model, x, { target: 0, layer: 'conv' })],
  ];
  for (const [method, run] of methods) {
    it(`makes ${method} throw a typed error naming the kind, the node and the method, leaking nothing`, async () => {
      await expectNoLeaks(() => {
        let caught: unknown;
        try {
          run();
        } catch (error) {
          caught = error;
        }
        expect(UnsupportedKindError.isInstance(caught)).toBe(true);
        const error = caught as UnsupportedKindError;
        expect(error.code).toBe('unsupported-kind');
        expect(error.kind).toBe('bareRelu');
        expect(error.nodeName).toBe('relu');
        expect(error.message).toContain(`node 'relu' has kind 'bareRelu'`);
        // DeepLiftShap is DeepLift over a batch of baselines, and says so.
        expect(error.method).toBe(method === 'deepLiftShap' ? 'deepLift' : method);
      });
    });
  }
});
