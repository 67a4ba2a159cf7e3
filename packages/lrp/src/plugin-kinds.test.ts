import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import {
  GraphBuilder,
  UnsupportedKindError,
  getKind,
  loadModel,
  registerKind,
  type KindDefinition,
} from '@attrib/core';
import {
  describeWithBackends,
  expectNoLeaks,
  fixturePath,
  randomTensor,
  tinyModels,
  type TinyModelSpec,
} from '@attrib/test-utils';
import {
  canonize,
  captumDefault,
  deconvnet,
  epsilonAlpha2Beta1,
  epsilonAlpha2Beta1Flat,
  epsilonGammaBox,
  epsilonPlus,
  epsilonPlusFlat,
  excitationBackprop,
  guidedBackprop,
  lrp,
  mergeBatchNorm,
  mixed,
  nameMap,
  pass,
  resnetCanonizers,
  type Composite,
  type LrpOptions,
  type LrpResult,
} from './index.js';

// A ReLU written by a plugin, declaring ReLU's behaviour; the same forward declaring none; and a
// convolution that is conv2d under another name (its behaviour copied, as an importer's alias would).
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
registerKind({ ...getKind('conv2d')!, kind: 'pluginConv' });

const model = (id: string) =>
  JSON.parse(readFileSync(fixturePath('conformance', 'models', `${id}.json`), 'utf8')) as TinyModelSpec;

function renamed(spec: TinyModelSpec, names: Record<string, string>): TinyModelSpec {
  return { ...spec, nodes: spec.nodes.map((n) => (names[n.op] ? { ...n, op: names[n.op] } : n)) };
}

function dispose(result: LrpResult) {
  tf.dispose([
    result.attributions,
    result.output,
    result.conservation.output,
    result.conservation.input,
    ...result.relevances.values(),
    ...result.conservation.nodes.values(),
    ...result.conservation.absorbed.values(),
  ]);
}

describeWithBackends('LRP of plugin kinds that declare a built-in behaviour', ['cpu', 'wasm'], () => {
  const composites: Array<[string, () => Composite, Partial<LrpOptions>]> = [
    ['epsilonPlus', () => epsilonPlus(), {}],
    ['epsilonPlusFlat', () => epsilonPlusFlat(), {}],
    ['epsilonAlpha2Beta1', () => epsilonAlpha2Beta1(), {}],
    ['epsilonAlpha2Beta1Flat', () => epsilonAlpha2Beta1Flat(), {}],
    ['epsilonGammaBox', () => epsilonGammaBox({ low: -3, high: 3 }), {}],
    ['excitationBackprop', () => excitationBackprop(), {}],
    ['captumDefault', () => captumDefault(), { seed: 'logit' }],
    ['guidedBackprop', () => guidedBackprop(), {}],
    ['deconvnet', () => deconvnet(), {}],
  ];
  const models: Array<[string, TinyModelSpec, number[]]> = [
    ['resblock_pub (residual add, batchnorms, max-pool)', model('resblock_pub'), [2, 8, 8, 3]],
    ['cnn_bn_pub (average pool)', model('cnn_bn_pub'), [2, 8, 8, 3]],
  ];
  for (const [title, spec, shape] of models) {
    for (const [relu, conv] of [
      ['pluginRelu', 'conv2d'],
      ['relu', 'pluginConv'],
    ]) {
      it(`${relu} and ${conv} get relu's and conv2d's relevance bit for bit, every preset, with and without canonizers: ${title}`, () => {
        const builtin = loadModel(spec);
        const plugin = loadModel(renamed(spec, { relu, conv2d: conv }));
        const x = randomTensor(shape, 31);
        for (const [name, composite, extra] of composites) {
          for (const canonizers of [[], resnetCanonizers()]) {
            const options: LrpOptions = { target: 1, canonizers, nodes: 'all', ...extra };
            const expected = lrp(builtin, x, { ...options, composite: composite() });
            const actual = lrp(plugin, x, { ...options, composite: composite() });
            const where = `${name}${canonizers.length ? ' + resnetCanonizers' : ''}`;
            expect([where, Array.from(actual.attributions.dataSync())]).toEqual([
              where,
              Array.from(expected.attributions.dataSync()),
            ]);
            for (const [node, relevance] of expected.relevances) {
              expect([where, node, Array.from(actual.relevances.get(node)!.dataSync())]).toEqual([
                where,
                node,
                Array.from(relevance.dataSync()),
              ]);
            }
            dispose(expected);
            dispose(actual);
          }
        }
        x.dispose();
      });
    }
  }

  it('mergeBatchNorm folds a batchnorm into a plugin conv that declares foldChannelAffine', () => {
    const graph = loadModel(renamed(model('cnn_bn_pub'), { conv2d: 'pluginConv' }));
    const canonized = canonize(graph, [mergeBatchNorm()]);
    expect(canonized.graph.node('bn1').module.kind).toBe('identity');
    expect(canonized.graph.node('conv1').module.kind).toBe('pluginConv');
    canonized.dispose();
  });
});

describeWithBackends('LRP of a plugin kind that declares no behaviour', ['cpu', 'wasm'], () => {
  const graph = loadModel(renamed(tinyModels.cnn(), { relu: 'bareRelu' }));
  const x = randomTensor([2, 4, 4, 2], 41);
  const presets: Array<[string, () => Composite]> = [
    ['epsilonPlus', epsilonPlus],
    ['epsilonPlusFlat', epsilonPlusFlat],
    ['epsilonAlpha2Beta1', epsilonAlpha2Beta1],
    ['epsilonGammaBox', () => epsilonGammaBox({ low: -3, high: 3 })],
    ['excitationBackprop', excitationBackprop],
    ['captumDefault', captumDefault],
    ['guidedBackprop', guidedBackprop],
    ['deconvnet', deconvnet],
  ];
  for (const [name, composite] of presets) {
    it(`${name}: a typed error naming the kind, the node and lrp, leaking nothing`, async () => {
      await expectNoLeaks(() => {
        let caught: unknown;
        try {
          lrp(graph, x, { target: 0, composite: composite(), canonizers: resnetCanonizers() });
        } catch (error) {
          caught = error;
        }
        expect(UnsupportedKindError.isInstance(caught)).toBe(true);
        expect(caught).toMatchObject({
          code: 'unsupported-kind',
          kind: 'bareRelu',
          nodeName: 'relu',
          method: 'lrp',
        });
        expect((caught as Error).message).toContain(`node 'relu' has kind 'bareRelu'`);
      });
    });
  }

  it('a built-in product (mul) declares no LRP family either: refused until the composite gives it a rule', async () => {
    const product = new GraphBuilder({ name: 'x', shape: [null, 3] })
      .node('a', 'linear', { inputs: ['x'], params: { weight: randomTensor([3, 4], 42) } })
      .node('c', 'linear', { inputs: ['x'], params: { weight: randomTensor([3, 4], 43) } })
      .node('ac', 'mul', { inputs: ['a', 'c'] })
      .linear('out', { weight: randomTensor([4, 2], 44) })
      .build();
    const v = randomTensor([2, 3], 45);
    await expectNoLeaks(() => {
      expect(() => lrp(product, v, { target: 0 })).toThrow(
        "lrp: node 'ac' has kind 'mul', which declares no LRP family, and the composite gave it no rule",
      );
      dispose(lrp(product, v, { target: 0, composite: mixed(nameMap({ ac: pass() }), epsilonPlus()) }));
    });
    v.dispose();
  });

  it('runs when the composite gives the node a rule itself', async () => {
    await expectNoLeaks(() => dispose(lrp(graph, x, { target: 0, composite: nameMap({ relu: pass() }) })));
  });
});
