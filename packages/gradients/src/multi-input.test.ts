import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectNoLeaks, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { GraphBuilder, createModule, type AttributionInputs, type Graph } from '@attrib/core';
import {
  deconvolution,
  deepLift,
  deepLiftShap,
  gradientShap,
  guidedBackprop,
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

/** Uniform values in [−scale, scale), reproducible from the seed. */
const uniform = (shape: number[], seed: number, scale: number) => randomTensor(shape, seed, -scale, scale);

/**
 * The same network twice: with two inputs (image [N,4,4,2] and vector [N,3] into one head), and with
 * one packed input [N,4,4,3] (image in channels 0–1, the vector in channel 2 of row 0) that slices
 * them apart inside the graph. Every method must give the same numbers on both (to 1e-6).
 */
function networks(): { twoInputs: Graph; packed: Graph } {
  const conv = { weight: uniform([3, 3, 2, 3], 1, 0.5), bias: uniform([3], 2, 0.1) };
  const fc1 = { weight: uniform([51, 6], 3, 0.3), bias: uniform([6], 4, 0.1) };
  const fc2 = { weight: uniform([6, 3], 5, 0.5), bias: uniform([3], 6, 0.1) };
  const head = (b: GraphBuilder) =>
    b
      .conv2d('conv', conv, { pad: [1, 1, 1, 1] }, ['image'])
      .relu('relu1')
      .flatten('flat')
      .concat('both', ['flat', 'vector'], -1)
      .linear('fc1', fc1)
      .relu('relu2')
      .linear('fc2', fc2)
      .build();
  const twoInputs = head(
    new GraphBuilder({ name: 'image', shape: [null, 4, 4, 2] }, { name: 'vector', shape: [null, 3] }),
  );
  const packed = head(
    new GraphBuilder({ name: 'packed', shape: [null, 4, 4, 3] })
      .slice('image', [0, 0, 0, 0], [-1, 4, 4, 2], ['packed'])
      .slice('vectorCell', [0, 0, 0, 2], [-1, 1, 3, 1], ['packed'])
      .flatten('vector', ['vectorCell']),
  );
  return { twoInputs, packed };
}

function pack(image: tf.Tensor, vector: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = image.shape[0];
    const cell = tf.pad(tf.reshape(vector, [n, 1, 3, 1]), [
      [0, 0],
      [0, 3],
      [0, 1],
      [0, 0],
    ]);
    return tf.concat([image, cell], 3);
  });
}

function unpack(packed: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const n = packed.shape[0];
  return tf.tidy(() => [
    tf.slice(packed, [0, 0, 0, 0], [n, 4, 4, 2]),
    tf.reshape(tf.slice(packed, [0, 0, 0, 2], [n, 1, 3, 1]), [n, 3]),
  ]);
}

type Method = (model: Graph, inputs: AttributionInputs, options: Record<string, unknown>) => unknown;
interface Case {
  readonly name: string;
  readonly method: Method;
  /** Options for the two-input and the packed model (baselines differ in structure). */
  readonly options: (two: boolean) => Record<string, unknown>;
  /** Attributions are per input (compare after unpacking) or per layer (compare as they are). */
  readonly per: 'input' | 'layer';
}

describeWithBackends(
  'every gradients method on a two-input graph equals the packed one',
  ['cpu', 'wasm'],
  (backend) => {
    const { twoInputs, packed } = networks();
    const image = uniform([3, 4, 4, 2], 11, 1);
    const vector = uniform([3, 3], 12, 1);
    const packedInput = pack(image, vector);
    const imageBaseline = uniform([3, 4, 4, 2], 13, 0.2);
    const vectorBaseline = uniform([3, 3], 14, 0.2);
    const packedBaseline = pack(imageBaseline, vectorBaseline);
    const imageDistribution = uniform([4, 4, 4, 2], 15, 0.3);
    const vectorDistribution = uniform([4, 3], 16, 0.3);
    const packedDistribution = pack(imageDistribution, vectorDistribution);
    const target = [0, 2, 1];
    const baselines = (two: boolean) => (two ? [imageBaseline, vectorBaseline] : packedBaseline);
    const distribution = (two: boolean) =>
      two ? { image: imageDistribution, vector: vectorDistribution } : packedDistribution;
    const neuron = { layer: 'fc1', neuron: 2 };

    const cases: Case[] = [
      { name: 'saliency', method: saliency as unknown as Method, options: () => ({ target }), per: 'input' },
      {
        name: 'inputXGradient',
        method: inputXGradient as unknown as Method,
        options: () => ({ target }),
        per: 'input',
      },
      {
        name: 'integratedGradients',
        method: integratedGradients as unknown as Method,
        options: (two) => ({ target, baselines: baselines(two), nSteps: 8, returnConvergenceDelta: true }),
        per: 'input',
      },
      {
        name: 'gradientShap',
        method: gradientShap as unknown as Method,
        options: (two) => ({
          target,
          baselines: distribution(two),
          nSamples: 3,
          seed: 4,
          returnConvergenceDelta: true,
        }),
        per: 'input',
      },
      {
        name: 'noiseTunnel(integratedGradients)',
        method: noiseTunnel(integratedGradients, { nSamples: 2, stdevs: 0 }) as unknown as Method,
        options: (two) => ({ target, baselines: baselines(two), nSteps: 4, returnConvergenceDelta: true }),
        per: 'input',
      },
      {
        name: 'guidedBackprop',
        method: guidedBackprop as unknown as Method,
        options: () => ({ target }),
        per: 'input',
      },
      {
        name: 'deconvolution',
        method: deconvolution as unknown as Method,
        options: () => ({ target }),
        per: 'input',
      },
      {
        name: 'deepLift',
        method: deepLift as unknown as Method,
        options: (two) => ({ target, baselines: baselines(two), returnConvergenceDelta: true }),
        per: 'input',
      },
      {
        name: 'deepLiftShap',
        method: deepLiftShap as unknown as Method,
        options: (two) => ({ target, baselines: distribution(two), returnConvergenceDelta: true }),
        per: 'input',
      },
      {
        name: 'neuronGradient',
        method: neuronGradient as unknown as Method,
        options: () => neuron,
        per: 'input',
      },
      {
        name: 'neuronIntegratedGradients',
        method: neuronIntegratedGradients as unknown as Method,
        options: (two) => ({ ...neuron, baselines: baselines(two), nSteps: 6 }),
        per: 'input',
      },
      {
        name: 'neuronConductance',
        method: neuronConductance as unknown as Method,
        options: (two) => ({ ...neuron, target, baselines: baselines(two), nSteps: 6 }),
        per: 'input',
      },
      {
        name: 'neuronGuidedBackprop',
        method: neuronGuidedBackprop as unknown as Method,
        options: () => neuron,
        per: 'input',
      },
      {
        name: 'neuronDeconvolution',
        method: neuronDeconvolution as unknown as Method,
        options: () => neuron,
        per: 'input',
      },
      {
        name: 'neuronDeepLift',
        method: neuronDeepLift as unknown as Method,
        options: (two) => ({ ...neuron, baselines: baselines(two) }),
        per: 'input',
      },
      {
        name: 'layerActivation',
        method: layerActivation as unknown as Method,
        options: () => ({ layer: ['conv', 'fc1'] }),
        per: 'layer',
      },
      {
        name: 'layerGradient',
        method: layerGradient as unknown as Method,
        options: () => ({ layer: 'relu1', target }),
        per: 'layer',
      },
      {
        name: 'layerGradientXActivation',
        method: layerGradientXActivation as unknown as Method,
        options: () => ({ layer: 'fc1', attributeToLayerInput: true, target }),
        per: 'layer',
      },
      {
        name: 'layerConductance',
        method: layerConductance as unknown as Method,
        options: (two) => ({
          layer: 'relu2',
          target,
          baselines: baselines(two),
          nSteps: 6,
          returnConvergenceDelta: true,
        }),
        per: 'layer',
      },
      {
        name: 'layerIntegratedGradients',
        method: layerIntegratedGradients as unknown as Method,
        options: (two) => ({
          layer: 'both',
          target,
          baselines: baselines(two),
          nSteps: 6,
          returnConvergenceDelta: true,
        }),
        per: 'layer',
      },
      {
        name: 'internalInfluence',
        method: internalInfluence as unknown as Method,
        options: (two) => ({ layer: 'conv', target, baselines: baselines(two), nSteps: 6 }),
        per: 'layer',
      },
      {
        name: 'layerDeepLift',
        method: layerDeepLift as unknown as Method,
        options: (two) => ({ layer: 'fc1', target, baselines: baselines(two), returnConvergenceDelta: true }),
        per: 'layer',
      },
      {
        name: 'layerGradCam',
        method: layerGradCam as unknown as Method,
        options: () => ({ layer: 'conv', target }),
        per: 'layer',
      },
    ];

    for (const c of cases) {
      it(`${c.name}: same attributions${c.per === 'input' ? " (per input, in the inputs' structure)" : ''} and delta`, async () => {
        const two = (await c.method(twoInputs, [image, vector], c.options(true))) as {
          attributions: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;
          delta?: tf.Tensor;
          dispose(): void;
        };
        const one = (await c.method(packed, packedInput, c.options(false))) as {
          attributions: tf.Tensor | Record<string, tf.Tensor>;
          delta?: tf.Tensor;
          dispose(): void;
        };
        const atol = backend === 'cpu' ? 1e-6 : 1e-4;
        if (c.per === 'input') {
          expect(Array.isArray(two.attributions)).toBe(true);
          const [a, b] = unpack(one.attributions as tf.Tensor);
          expectTensorsClose((two.attributions as tf.Tensor[])[0], a, { atol });
          expectTensorsClose((two.attributions as tf.Tensor[])[1], b, { atol });
          tf.dispose([a, b]);
        } else if (two.attributions instanceof tf.Tensor) {
          expectTensorsClose(two.attributions, one.attributions as tf.Tensor, { atol });
        } else {
          for (const [name, value] of Object.entries(two.attributions))
            expectTensorsClose(value, (one.attributions as Record<string, tf.Tensor>)[name], { atol });
        }
        expect(two.delta === undefined).toBe(one.delta === undefined);
        if (two.delta) expectTensorsClose(two.delta, one.delta!, { atol: backend === 'cpu' ? 1e-5 : 1e-3 });
        two.dispose();
        one.dispose();
        // A record by input name comes back as a record, and the call leaks nothing.
        await expectNoLeaks(async () => {
          const byName = (await c.method(twoInputs, { vector, image }, c.options(true))) as {
            attributions: unknown;
            dispose(): void;
          };
          if (c.per === 'input')
            expect(Object.keys(byName.attributions as object).sort()).toEqual(['image', 'vector']);
          byName.dispose();
        });
      });
    }
  },
);

describeWithBackends('a fixed per-sample input (additionalInputs)', ['cpu', 'wasm'], () => {
  it('integratedGradients with a per-sample scale equals scale × IG of the unscaled network', async () => {
    const { twoInputs } = networks();
    // The same network times a per-sample scale [N,1] given as a third, fixed graph input.
    const scaled = twoInputs.derive({
      inputs: [...twoInputs.inputs, { name: 'scale', shape: [null, 1] }],
      nodes: [
        ...twoInputs.nodes,
        { name: 'scaled', module: createModule('mul', {}, {}, 'scaled'), inputs: ['fc2', 'scale'] },
      ],
      output: 'scaled',
    });
    const image = uniform([2, 4, 4, 2], 21, 1);
    const vector = uniform([2, 3], 22, 1);
    const scale = tf.tensor2d([2, -0.5], [2, 1]);
    const options = { target: 1, nSteps: 16, returnConvergenceDelta: true };
    const plain = await integratedGradients(twoInputs, [image, vector], options);
    await expectNoLeaks(async () => {
      const withScale = await integratedGradients(scaled, [image, vector], {
        ...options,
        additionalInputs: scale,
      });
      const expected = tf.tidy(() => [
        tf.mul(plain.attributions[0], tf.reshape(scale, [2, 1, 1, 1])),
        tf.mul(plain.attributions[1], scale),
        tf.mul(plain.delta!, tf.reshape(scale, [2])),
      ]);
      expectTensorsClose(withScale.attributions[0], expected[0], { atol: 1e-5 });
      expectTensorsClose(withScale.attributions[1], expected[1], { atol: 1e-5 });
      // The scale is fixed along the path (not interpolated from 0), so completeness still holds.
      expectTensorsClose(withScale.delta!, expected[2], { atol: 1e-4 });
      tf.dispose(expected);
      withScale.dispose();
    });
    plain.dispose();
  });
});
