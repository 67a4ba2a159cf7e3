import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  ShapeMismatchError,
  UnknownNodeError,
  loadModel,
  type Graph,
} from '@attrib/core';
import { describeWithBackends, expectNoLeaks, tinyModels } from '@attrib/test-utils';
import {
  deconvolution,
  deepLift,
  deepLiftShap,
  gradientShap,
  guidedBackprop,
  guidedGradCam,
  inputXGradient,
  integratedGradients,
  internalInfluence,
  layerActivation,
  layerConductance,
  layerDeepLift,
  layerGradCam,
  layerGradient,
  layerGradientXActivation,
  layerIntegratedGradients,
  neuronConductance,
  neuronDeconvolution,
  neuronDeepLift,
  neuronGradient,
  neuronGuidedBackprop,
  neuronIntegratedGradients,
  noiseTunnel,
  saliency,
} from './index.js';

type Method = (model: Graph, inputs: unknown, options: Record<string, unknown>) => unknown;

interface Entry {
  readonly name: string;
  readonly method: Method;
  /** Options that work; each case below breaks one thing. */
  readonly options: Record<string, unknown>;
  /** A key it takes, misspelled as users do (`nStep`). */
  readonly typo: [string, string];
  /** A boolean option it takes, for the `'false'` case. */
  readonly flag?: string;
  /** Whether the method takes a class target (for the fractional-target case). */
  readonly target?: boolean;
}

/**
 * Every public gradients function, fed each kind of bad input: every case must be a typed error
 * naming the argument (tfjs-core's message shape) and leave no tensor behind.
 */
describeWithBackends('gradients: bad input is a typed error naming the argument', ['cpu', 'wasm'], () => {
  const model = loadModel(tinyModels.cnn());
  const x = tf.randomUniform([2, 4, 4, 2], -1, 1, 'float32', 3);
  const distribution = tf.randomUniform([3, 4, 4, 2], -1, 1, 'float32', 4);
  const disposed = tf.zeros([2, 4, 4, 2]);
  disposed.dispose();
  const empty = tf.zeros([0, 4, 4, 2]);
  const nan = tf.tidy(() =>
    tf.where(tf.equal(tf.reshape(tf.range(0, 64), [2, 4, 4, 2]), 5), tf.fill([2, 4, 4, 2], NaN), x),
  );
  const integer = tf.zeros([2, 4, 4, 2], 'int32');
  const layer = model.nodes[0].name;
  const neuron = { layer, neuron: 1 };
  const entries: Entry[] = [
    {
      name: 'saliency',
      method: saliency as unknown as Method,
      options: { target: 0 },
      typo: ['target', 'taget'],
      flag: 'abs',
      target: true,
    },
    {
      name: 'inputXGradient',
      method: inputXGradient as unknown as Method,
      options: { target: 0 },
      typo: ['target', 'targt'],
      target: true,
    },
    {
      name: 'integratedGradients',
      method: integratedGradients as unknown as Method,
      options: { target: 0, nSteps: 4 },
      typo: ['nSteps', 'nStep'],
      flag: 'returnConvergenceDelta',
      target: true,
    },
    {
      name: 'gradientShap',
      method: gradientShap as unknown as Method,
      options: { target: 0, baselines: distribution, nSamples: 2 },
      typo: ['nSamples', 'nSample'],
      flag: 'returnConvergenceDelta',
      target: true,
    },
    {
      name: 'noiseTunnel(saliency)',
      method: noiseTunnel(saliency, { nSamples: 2 }) as unknown as Method,
      options: { target: 0 },
      typo: ['target', 'taget'],
      target: true,
    },
    {
      name: 'guidedBackprop',
      method: guidedBackprop as unknown as Method,
      options: { target: 0 },
      typo: ['target', 'tagret'],
      target: true,
    },
    {
      name: 'deconvolution',
      method: deconvolution as unknown as Method,
      options: { target: 0 },
      typo: ['target', 'tagret'],
      target: true,
    },
    {
      name: 'deepLift',
      method: deepLift as unknown as Method,
      options: { target: 0 },
      typo: ['baselines', 'baseline'],
      flag: 'multiplyByInputs',
      target: true,
    },
    {
      name: 'deepLiftShap',
      method: deepLiftShap as unknown as Method,
      options: { target: 0, baselines: distribution },
      typo: ['multiplyByInputs', 'multiplyByInput'],
      flag: 'returnConvergenceDelta',
      target: true,
    },
    {
      name: 'guidedGradCam',
      method: guidedGradCam as unknown as Method,
      options: { target: 0, layer },
      typo: ['layer', 'layers'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'layerGradCam',
      method: layerGradCam as unknown as Method,
      options: { target: 0, layer },
      typo: ['attributeToLayerInput', 'attributeToLayerInputs'],
      flag: 'reluAttributions',
      target: true,
    },
    {
      name: 'layerActivation',
      method: layerActivation as unknown as Method,
      options: { layer },
      typo: ['layer', 'layr'],
      flag: 'attributeToLayerInput',
    },
    {
      name: 'layerGradient',
      method: layerGradient as unknown as Method,
      options: { target: 0, layer },
      typo: ['layer', 'layr'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'layerGradientXActivation',
      method: layerGradientXActivation as unknown as Method,
      options: { target: 0, layer },
      typo: ['layer', 'layr'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'layerConductance',
      method: layerConductance as unknown as Method,
      options: { target: 0, layer, nSteps: 3 },
      typo: ['nSteps', 'n_steps'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'layerIntegratedGradients',
      method: layerIntegratedGradients as unknown as Method,
      options: { target: 0, layer, nSteps: 3 },
      typo: ['nSteps', 'nStep'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'internalInfluence',
      method: internalInfluence as unknown as Method,
      options: { target: 0, layer, nSteps: 3 },
      typo: ['internalBatchSize', 'internalBatchsize'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'layerDeepLift',
      method: layerDeepLift as unknown as Method,
      options: { target: 0, layer },
      typo: ['layer', 'layer_'],
      flag: 'attributeToLayerInput',
      target: true,
    },
    {
      name: 'neuronGradient',
      method: neuronGradient as unknown as Method,
      options: neuron,
      typo: ['neuron', 'nueron'],
      flag: 'attributeToNeuronInput',
    },
    {
      name: 'neuronIntegratedGradients',
      method: neuronIntegratedGradients as unknown as Method,
      options: { ...neuron, nSteps: 3 },
      typo: ['neuron', 'neurons'],
      flag: 'attributeToNeuronInput',
    },
    {
      name: 'neuronConductance',
      method: neuronConductance as unknown as Method,
      options: { ...neuron, target: 0, nSteps: 3 },
      typo: ['method', 'methods'],
      flag: 'attributeToNeuronInput',
      target: true,
    },
    {
      name: 'neuronGuidedBackprop',
      method: neuronGuidedBackprop as unknown as Method,
      options: neuron,
      typo: ['neuron', 'neuron_'],
      flag: 'attributeToNeuronInput',
    },
    {
      name: 'neuronDeconvolution',
      method: neuronDeconvolution as unknown as Method,
      options: neuron,
      typo: ['layer', 'Layer'],
      flag: 'attributeToNeuronInput',
    },
    {
      name: 'neuronDeepLift',
      method: neuronDeepLift as unknown as Method,
      options: neuron,
      typo: ['eps', 'epss'],
      flag: 'multiplyByInputs',
    },
  ];

  async function expectTypedError(call: () => unknown, message: RegExp): Promise<void> {
    await expectNoLeaks(async () => {
      let caught: unknown;
      try {
        await call();
      } catch (error) {
        caught = error;
      }
      const typed =
        InvalidArgumentError.isInstance(caught) ||
        ShapeMismatchError.isInstance(caught) ||
        UnknownNodeError.isInstance(caught);
      if (!typed) throw new Error(`expected a typed error matching ${message}, got ${String(caught)}`);
      expect((caught as Error).message).toMatch(message);
    });
  }

  for (const e of entries) {
    describe(e.name, () => {
      const fn = e.name.replace(/\(.*\)/, '').replace('noiseTunnel', 'noiseTunnel');
      const fnOf = (inner: string) => (e.name.startsWith('noiseTunnel') ? inner : fn);
      it('works on good input (the cases below each break one thing)', async () => {
        await expectNoLeaks(async () =>
          ((await e.method(model, x, e.options)) as { dispose(): void }).dispose(),
        );
      });
      it('null inputs', () => expectTypedError(() => e.method(model, null, e.options), /'inputs'/));
      it('a disposed input', () =>
        expectTypedError(() => e.method(model, disposed, e.options), /'inputs'.*disposed/));
      it('an empty batch', () =>
        expectTypedError(() => e.method(model, empty, e.options), /'inputs'.*at least one sample/));
      it('NaN in the input', () =>
        expectTypedError(() => e.method(model, nan, e.options), /'inputs'.*NaN at flat index 5/));
      it('a wrong-type input', () => expectTypedError(() => e.method(model, [[1, 2]], e.options), /'inputs/));
      it(`a misspelled option ('${e.typo[1]}')`, () => {
        const options: Record<string, unknown> = { ...e.options, [e.typo[1]]: e.options[e.typo[0]] ?? 1 };
        delete options[e.typo[0]];
        // noiseTunnel's own options are checked when it is built; the wrapped method checks the rest.
        return expectTypedError(
          () => e.method(model, x, options),
          new RegExp(`'${fnOf('saliency')}' has an unknown key '${e.typo[1]}'`),
        );
      });
      if (e.flag)
        it(`'false' (a string) for ${e.flag}`, () =>
          expectTypedError(
            () => e.method(model, x, { ...e.options, [e.flag!]: 'false' }),
            new RegExp(`'${e.flag}'.*true or false`),
          ));
      if (e.target)
        it('a fractional target', () =>
          expectTypedError(() => e.method(model, x, { ...e.options, target: [0, 1.5] }), /'target'/));
      if (['saliency', 'integratedGradients', 'guidedBackprop', 'deepLift'].includes(e.name))
        it('an integer input where the method needs input gradients', () =>
          expectTypedError(
            () => e.method(model, integer, e.options),
            /'inputs'.*int32 tensor for input 'x'/,
          ));
    });
  }
});
