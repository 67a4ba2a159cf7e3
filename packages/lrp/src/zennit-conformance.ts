import * as tf from '@tensorflow/tfjs-core';
import {
  invalidArgument,
  type BackwardRule,
  type ConformanceAdapter,
  type ConformanceCase,
  type Graph,
} from '@attrib/core';
import type { Canonizer } from './canonizer.js';
import { nameMap, type Composite } from './composite.js';
import { mergeBatchNorm } from './merge-batchnorm.js';
import {
  epsilonAlpha2Beta1,
  epsilonGammaBox,
  epsilonPlus,
  epsilonPlusFlat,
  type PresetOptions,
} from './presets.js';
import { residualSum } from './residual-sum.js';
import { lrp } from './lrp.js';
import { alphaBeta } from './rules/alpha-beta.js';
import { epsilon } from './rules/epsilon.js';
import { flat } from './rules/flat.js';
import { gamma } from './rules/gamma.js';
import { norm } from './rules/norm.js';
import { wSquare } from './rules/w-square.js';
import { zBox } from './rules/z-box.js';
import { zPlus } from './rules/z-plus.js';

type Args = Record<string, unknown>;
const fn = 'zennit conformance';

/** Zennit rule classes by name, built from the fixture's camelCase ruleArgs. */
const rulesByName: Record<string, (args: Args) => BackwardRule> = {
  Epsilon: (a) =>
    epsilon({ epsilon: a.epsilon as number | undefined, zeroParams: a.zeroParams as string | undefined }),
  ZPlus: (a) => zPlus(a),
  AlphaBeta: (a) => alphaBeta(a),
  Gamma: (a) => gamma(a),
  ZBox: (a) => zBox(a as unknown as Parameters<typeof zBox>[0]),
  Flat: (a) => flat(a),
  WSquare: (a) => wSquare(a),
  Norm: (a) => norm(a),
};

const canonizersByName: Record<string, () => Canonizer> = {
  SequentialMergeBatchNorm: mergeBatchNorm,
  BasicBlockSumCanonizer: residualSum,
};

const number = (v: unknown) => (v === null || v === undefined ? undefined : (v as number));

function compositeFor(options: Args): Composite {
  const preset: PresetOptions = {
    epsilon: number(options.epsilon),
    stabilizer: number(options.stabilizer),
    zeroParams: (options.zeroParams as string | null) ?? undefined,
  };
  switch (options.composite) {
    case 'EpsilonPlus':
      return epsilonPlus(preset);
    case 'EpsilonAlpha2Beta1':
      return epsilonAlpha2Beta1(preset);
    case 'EpsilonPlusFlat':
      return epsilonPlusFlat(preset);
    case 'EpsilonGammaBox':
      return epsilonGammaBox({
        ...preset,
        low: options.low as number,
        high: options.high as number,
        gamma: number(options.gamma),
      });
    case 'NameMapComposite':
      return nameMap(
        (options.nameMap as Array<{ layers: string[]; rule: string; ruleArgs: Args }>).map((entry) => {
          const make = rulesByName[entry.rule];
          if (!make)
            throw invalidArgument(fn, 'nameMap.rule', Object.keys(rulesByName).join(', '), entry.rule);
          return { nodes: entry.layers, rule: make(entry.ruleArgs ?? {}) };
        }),
      );
    default:
      throw invalidArgument(fn, 'composite', 'a Zennit composite this package implements', options.composite);
  }
}

function run(model: Graph, testCase: ConformanceCase): Record<string, tf.Tensor> {
  const options = testCase.options as Args;
  const canonizers = ((options.canonizers as string[] | undefined) ?? []).map((name) => {
    const make = canonizersByName[name];
    if (!make) throw invalidArgument(fn, 'canonizers', Object.keys(canonizersByName).join(', '), name);
    return make();
  });
  const result = lrp(model, testCase.inputs, {
    composite: compositeFor(options),
    canonizers,
    target: options.target as number[],
  });
  const fields: Record<string, tf.Tensor> = {
    attributions: result.attributions,
    relevanceSum: result.conservation.input,
    outputRelevanceSum: result.conservation.output,
  };
  for (const [node, sum] of result.conservation.nodes) fields[`nodeRelevanceSums/${node}`] = sum;
  tf.dispose([result.output, ...result.relevances.values(), ...result.conservation.absorbed.values()]);
  return fields;
}

/** Every Zennit composite the fixtures use (FORMAT §8), one adapter per reference class. */
export const zennitConformanceAdapters: readonly ConformanceAdapter[] = [
  'EpsilonPlus',
  'EpsilonAlpha2Beta1',
  'EpsilonPlusFlat',
  'EpsilonGammaBox',
  'NameMapComposite',
].map((method) => ({ specificationVersion: 'attrib-conformance/1', library: 'zennit', method, run }));
