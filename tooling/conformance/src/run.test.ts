import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithBackends, tinyModels } from '@attrib/test-utils';
import { gradients, loadModel, type ConformanceAdapter } from '@attrib/core';
import { writeOnnx } from '@attrib/onnx';
import { compareValues } from './compare.js';
import type { Fixture } from './fixtures.js';
import { foldedNodeConflicts, foldedNodes } from './folded-nodes.js';
import { runConformance } from './run.js';

const tolerance = { atol: 1e-5, rtol: 1e-4 };

/** A fixtures folder with one model and cases whose expected values come from a literal computation. */
function makeFixtures(): string {
  const root = mkdtempSync(join(tmpdir(), 'attrib-conformance-'));
  const spec = tinyModels.mlp();
  mkdirSync(join(root, 'models'));
  writeFileSync(join(root, 'models', 'tiny_mlp.json'), JSON.stringify(spec));
  const model = loadModel(spec);
  const x = tf.tensor2d([
    [0.5, -1, 2],
    [1, 0.25, -0.5],
  ]);
  const output = model.run(x);
  const grad = gradients(model, x, { target: 1 }).inputGradients[0];
  const json = (t: tf.Tensor) => ({ shape: t.shape, data: Array.from(t.dataSync()) });
  const cases = [
    {
      id: 'tiny_mlp/test/Saliency/ok',
      method: 'Saliency',
      expected: { attributions: json(grad), output: json(output) },
    },
    {
      id: 'tiny_mlp/test/Saliency/wrong',
      method: 'Saliency',
      expected: { attributions: json(tf.add(grad, 1)), output: json(output) },
    },
    {
      id: 'tiny_mlp/test/Leaky/leak',
      method: 'Leaky',
      expected: { attributions: json(grad), output: json(output) },
    },
    {
      id: 'tiny_mlp/test/Nothing/none',
      method: 'Nothing',
      expected: { attributions: json(grad), output: json(output) },
    },
  ];
  const index = cases.map((c) => {
    const file = `cases/${c.id}.json`;
    mkdirSync(join(root, 'cases', ...c.id.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(
      join(root, file),
      JSON.stringify({
        ...c,
        model: 'tiny_mlp',
        options: { target: 1 },
        inputs: json(x),
        tolerance: { ...tolerance, perField: {} },
      }),
    );
    return { id: c.id, method: c.method, library: 'test', model: 'tiny_mlp', file };
  });
  writeFileSync(join(root, 'INDEX.json'), JSON.stringify({ format: 'attrib-fixture-index/1', cases: index }));
  return root;
}

describeWithBackends('runConformance', ['cpu'], () => {
  const saliency: ConformanceAdapter = {
    specificationVersion: 'attrib-conformance/1',
    library: 'test',
    method: 'Saliency',
    run: (model, c) => {
      const { inputGradients, output, objective } = gradients(model, c.inputs, {
        target: c.options.target as number,
      });
      tf.dispose([output, objective]);
      return { attributions: inputGradients[0] };
    },
  };
  const leaky: ConformanceAdapter = {
    ...saliency,
    method: 'Leaky',
    run: (model, c) => (tf.ones([1]), saliency.run(model, c)),
  };

  it('passes, fails, skips and catches leaks, and checks every model', async () => {
    const report = await runConformance({
      fixtures: makeFixtures(),
      adapters: new Map([
        ['test/Saliency', saliency],
        ['test/Leaky', leaky],
      ]),
    });
    const status = Object.fromEntries(report.cases.map((c) => [c.id.split('/').pop(), c.status]));
    expect(status).toEqual({ ok: 'pass', wrong: 'fail', leak: 'fail', none: 'skipped' });
    expect(report.cases.find((c) => c.id.endsWith('leak'))!.message).toMatch(/1 tensor\(s\) leaked/);
    expect(report.cases.find((c) => c.id.endsWith('wrong'))!.maxAbsError).toBeCloseTo(1, 5);
    expect(report.models).toEqual([{ id: 'tiny_mlp', status: 'pass', maxAbsError: expect.any(Number) }]);
  });

  it('filters by id and reports adapter exceptions as errors', async () => {
    const broken: ConformanceAdapter = {
      ...saliency,
      run: () => {
        throw new Error('nope');
      },
    };
    const report = await runConformance({
      fixtures: makeFixtures(),
      filter: '/ok',
      adapters: new Map([['test/Saliency', broken]]),
    });
    expect(report.cases).toHaveLength(1);
    expect(report.cases[0]).toMatchObject({ status: 'error', message: 'Error: nope' });
  });
});

describe('compareValues', () => {
  it('uses numpy.allclose semantics and never passes NaN', () => {
    expect(compareValues([1.00001], [1], { atol: 0, rtol: 1e-4 }).ok).toBe(true);
    expect(compareValues([1.001], [1], { atol: 1e-4, rtol: 1e-4 }).ok).toBe(false);
    expect(compareValues([NaN], [1], { atol: 1, rtol: 1 }).ok).toBe(false);
    expect(compareValues([0, 3], [0, 1], tolerance).worst).toEqual({ index: 1, actual: 3, expected: 1 });
  });
});

describeWithBackends('runConformance --model-format', ['cpu'], () => {
  const saliency: ConformanceAdapter = {
    specificationVersion: 'attrib-conformance/1',
    library: 'test',
    method: 'Saliency',
    run: (model, c) => {
      const { inputGradients, output, objective } = gradients(model, c.inputs, {
        target: c.options.target as number,
      });
      tf.dispose([output, objective]);
      return { attributions: inputGradients[0] };
    },
  };

  it('loads models/<id>.onnx, and skips models that lack the requested file', async () => {
    const root = makeFixtures();
    const spec = tinyModels.mlp();
    const [fc1, , fc2] = spec.nodes as unknown as Array<{
      weight: { shape: number[]; data: number[] };
      bias: { shape: number[]; data: number[] };
    }>;
    const onnx = writeOnnx({
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: [{ name: 'y' }],
      initializers: { w1: fc1.weight, b1: fc1.bias, w2: fc2.weight, b2: fc2.bias },
      nodes: [
        { op: 'Gemm', name: '/fc1/Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'] },
        { op: 'Relu', name: '/relu1/Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Gemm', name: '/fc2/Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'] },
      ],
    });
    writeFileSync(join(root, 'models', 'tiny_mlp.onnx'), onnx);
    const adapters = new Map([['test/Saliency', saliency]]);
    const report = await runConformance({ fixtures: root, adapters, modelFormat: 'onnx' });
    expect(Object.fromEntries(report.cases.map((c) => [c.id.split('/').pop(), c.status]))).toEqual({
      ok: 'pass',
      wrong: 'fail',
      leak: 'skipped',
      none: 'skipped',
    });
    expect(report.models).toEqual([{ id: 'tiny_mlp', status: 'pass', maxAbsError: expect.any(Number) }]);
    const layers = await runConformance({ fixtures: root, adapters, modelFormat: 'layers' });
    expect(layers.cases.map((c) => c.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(layers.cases[0].message).toBe(
      'no models/tiny_mlp.layers/model.json: this model has no layers file',
    );
    expect(layers.models).toEqual([
      { id: 'tiny_mlp', status: 'skipped', maxAbsError: 0, message: layers.cases[0].message },
    ]);
  });
});

describe('foldedNodeConflicts', () => {
  // The tiny CNN with its BatchNorm folded away, as torch.onnx exports it.
  const reference = loadModel(tinyModels.cnn());
  const bn = reference.nodes.find((n) => n.module.kind === 'batchnorm')!;
  const imported = reference.derive({
    nodes: reference.nodes
      .filter((n) => n !== bn)
      .map((n) => (n.inputs[0] === bn.name ? { ...n, inputs: bn.inputs } : n)),
  });
  const folded = foldedNodes(reference, imported);
  const fixture = (method: string, options: Record<string, unknown>) =>
    ({ method, options }) as unknown as Fixture;

  it('finds the folded BatchNorm and the node that absorbed it', () => {
    expect(folded).toEqual([{ node: bn.name, into: bn.inputs[0] }]);
  });

  it('skips cases naming either node, or giving the BatchNorm a rule of its own', () => {
    expect(foldedNodeConflicts(folded, fixture('LayerActivation', { layer: bn.name })).skip).toMatch(
      /has no node/,
    );
    expect(foldedNodeConflicts(folded, fixture('LayerActivation', { layer: bn.inputs[0] })).skip).toMatch(
      /absorbed/,
    );
    expect(foldedNodeConflicts(folded, fixture('LRP', {})).skip).toMatch(/its own rule/);
    const pass = { composite: 'EpsilonPlus', layerRules: { [bn.name]: 'Pass' } };
    expect(foldedNodeConflicts(folded, fixture('EpsilonPlus', { ...pass, canonizers: [] })).skip).toMatch(
      /its own rule/,
    );
  });

  it('leaves out per-node fields that cannot exist, and compares the rest', () => {
    const merged = {
      composite: 'EpsilonPlus',
      canonizers: ['SequentialMergeBatchNorm'],
      layerRules: { [bn.name]: 'Pass' },
    };
    expect(foldedNodeConflicts(folded, fixture('EpsilonPlus', merged))).toEqual({
      notCompared: new Set([`nodeRelevanceSums/${bn.name}`]),
    });
    const gradientOnly = {
      composite: 'NameMapComposite',
      canonizers: [],
      layerRules: { [bn.name]: 'gradient' },
    };
    expect(foldedNodeConflicts(folded, fixture('NameMapComposite', gradientOnly)).notCompared).toEqual(
      new Set([`nodeRelevanceSums/${bn.name}`, `nodeRelevanceSums/${bn.inputs[0]}`]),
    );
  });
});
