import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, UnknownNodeError, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, fixturePath, randomTensor, tinyModels } from '@attrib/test-utils';
import {
  canonize,
  category,
  deconvnet,
  epsilon,
  epsilonAlpha2Beta1,
  epsilonAlpha2Beta1Flat,
  epsilonGammaBox,
  epsilonPlus,
  epsilonPlusFlat,
  excitationBackprop,
  firstLayer,
  flat,
  guidedBackprop,
  kinds,
  layerMap,
  mergeBatchNorm,
  mixed,
  nameMap,
  residualSum,
  zPlus,
  type Composite,
} from './index.js';

const shared = fixturePath('conformance');

/** Zennit's class names for our rule names; no rule is Zennit's 'gradient'. */
const zennitName: Record<string, string> = {
  epsilon: 'Epsilon',
  zPlus: 'ZPlus',
  alphaBeta: 'AlphaBeta',
  gamma: 'Gamma',
  zBox: 'ZBox',
  flat: 'Flat',
  wSquare: 'WSquare',
  pass: 'Pass',
  norm: 'Norm',
};

function resolved(graph: Graph, composite: Composite): Record<string, string> {
  return Object.fromEntries(
    graph.nodes.map((node, index) => [
      node.name,
      zennitName[composite(node, { graph, index })?.name ?? ''] ?? 'gradient',
    ]),
  );
}

describeWithBackends('composites', ['cpu'], () => {
  const presets: Record<string, (o: Record<string, unknown>) => Composite> = {
    EpsilonPlus: (o) => epsilonPlus(o),
    EpsilonAlpha2Beta1: (o) => epsilonAlpha2Beta1(o),
    EpsilonPlusFlat: (o) => epsilonPlusFlat(o),
    EpsilonGammaBox: (o) => epsilonGammaBox({ low: o.low as number, high: o.high as number }),
  };
  const canonizers = {
    SequentialMergeBatchNorm: mergeBatchNorm,
    BasicBlockSumCanonizer: residualSum,
  } as Record<string, () => ReturnType<typeof mergeBatchNorm>>;

  // The reference's own record of which rule each node resolved to, for every preset case.
  const cases = readdirSync(join(shared, 'cases')).flatMap((model) =>
    Object.keys(presets).flatMap((preset) => {
      const dir = join(shared, 'cases', model, 'zennit', preset);
      return existsSync(dir)
        ? readdirSync(dir).map((file) => ({ model, preset, file: join(dir, file) }))
        : [];
    }),
  );
  for (const { model, preset, file } of cases) {
    it(`${preset} picks Zennit's rule for every node of ${model} (${file.split('/').pop()})`, () => {
      const fixture = JSON.parse(readFileSync(file, 'utf8'));
      const graph = loadModel(JSON.parse(readFileSync(join(shared, 'models', `${model}.json`), 'utf8')));
      const canonized = canonize(
        graph,
        (fixture.options.canonizers as string[]).map((name) => canonizers[name]()),
      );
      try {
        expect(resolved(canonized.graph, presets[preset](fixture.options))).toEqual(
          fixture.options.layerRules,
        );
      } finally {
        canonized.dispose();
      }
    });
  }

  it('builds layer maps by kind, category and predicate; the first match wins', () => {
    const graph = loadModel(tinyModels.cnn());
    const composite = layerMap([
      [(node) => node.name === 'fc', flat()],
      ['conv2d', zPlus()],
      [category('activation', 'norm'), epsilon()],
      [kinds('linear', 'maxpool2d'), epsilon({ epsilon: 0.5 })],
    ]);
    expect(resolved(graph, composite)).toEqual({
      conv: 'ZPlus',
      bn: 'Epsilon',
      relu: 'Epsilon',
      pool: 'Epsilon',
      flatten: 'gradient',
      fc: 'Flat',
    });
  });

  it('firstLayer picks only the first match in execution order, and mixed asks in turn', () => {
    const w = randomTensor([3, 3], 1);
    const graph = new GraphBuilder({ name: 'x', shape: [null, 3] })
      .linear('a', { weight: w })
      .relu('r')
      .linear('b', { weight: w })
      .linear('c', { weight: w })
      .build();
    const composite = mixed(
      firstLayer('linear', flat()),
      nameMap({ c: zPlus() }),
      layerMap([['linear', epsilon()]]),
    );
    expect(resolved(graph, composite)).toEqual({ a: 'Flat', r: 'gradient', b: 'Epsilon', c: 'ZPlus' });
  });

  it('other presets: guidedBackprop, deconvnet, excitationBackprop, epsilonAlpha2Beta1Flat', () => {
    const graph = loadModel(tinyModels.cnn());
    const names = (c: Composite) => graph.nodes.map((node, index) => c(node, { graph, index })?.name ?? '-');
    expect(names(guidedBackprop())).toEqual(['-', '-', 'guidedBackprop', '-', '-', '-']);
    expect(names(deconvnet())).toEqual(['-', '-', 'deconvnet', '-', '-', '-']);
    expect(names(excitationBackprop())).toEqual(['zPlus', '-', '-', '-', '-', 'zPlus']);
    expect(names(epsilonAlpha2Beta1Flat())).toEqual(['flat', 'pass', 'pass', '-', '-', 'epsilon']);
  });

  it('presets check their options', () => {
    expect(() => epsilonGammaBox(undefined as never)).toThrow(
      /'options' passed to 'epsilonGammaBox' must be \{ low, high \}/,
    );
    expect(() => epsilonGammaBox({ low: -1 } as never)).toThrow(/'high' passed to 'zBox'/);
    expect(() => epsilonPlus({ epsilon: -1 })).toThrow(/'epsilon' passed to 'epsilon'/);
  });

  it('a name map with a name the graph lacks fails with UnknownNodeError', () => {
    const graph = loadModel(tinyModels.mlp());
    const composite = nameMap([{ nodes: ['fc9'], rule: zPlus() }]);
    expect(() => resolved(graph, composite)).toThrow(UnknownNodeError);
    expect(() => resolved(graph, composite)).toThrow(/nameMap: no node named 'fc9'/);
    // Also when an earlier composite answers for the first node.
    expect(() => resolved(graph, mixed(firstLayer('linear', flat()), nameMap({ fc9: zPlus() })))).toThrow(
      UnknownNodeError,
    );
  });
});
