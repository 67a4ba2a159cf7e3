import { loadModel } from '@attrib/core';
import { describeWithBackends, expectBackendsAgree, fixturePath, randomTensor } from '@attrib/test-utils';
import { readFileSync } from 'node:fs';
import * as api from './index.js';

/**
 * lrp once per preset and once per rule on wasm, against the same call on cpu (expectBackendsAgree:
 * leak-free on both, finite, within a float32 tolerance), on a residual net with batchnorms and a
 * max-pool, with and without the canonizers. The rules' exactness is checked on cpu and wasm in
 * rules.test.ts; this shows every public entry point runs where applications run it.
 */
describeWithBackends('lrp, every preset and rule (smoke)', ['wasm'], () => {
  const model = loadModel(
    JSON.parse(readFileSync(fixturePath('conformance', 'models', 'resblock_pub.json'), 'utf8')),
  );
  const x = randomTensor([2, 8, 8, 3], 31);
  const target = [1, 0];

  const presets: Record<string, () => api.Composite> = {
    epsilonPlus: () => api.epsilonPlus(),
    epsilonPlusFlat: () => api.epsilonPlusFlat(),
    epsilonAlpha2Beta1: () => api.epsilonAlpha2Beta1(),
    epsilonAlpha2Beta1Flat: () => api.epsilonAlpha2Beta1Flat(),
    epsilonGammaBox: () => api.epsilonGammaBox({ low: -3, high: 3 }),
    excitationBackprop: () => api.excitationBackprop(),
    captumDefault: () => api.captumDefault(),
    guidedBackprop: () => api.guidedBackprop(),
    deconvnet: () => api.deconvnet(),
  };
  // Each rule on the conv and dense layers, epsilon elsewhere it is needed (Zennit's layer-map shape).
  const rules: Record<string, () => api.Composite> = Object.fromEntries(
    Object.entries({
      epsilon: () => api.epsilon({ epsilon: 0.1 }),
      zPlus: () => api.zPlus(),
      alphaBeta: () => api.alphaBeta({ alpha: 2, beta: 1 }),
      gamma: () => api.gamma({ gamma: 0.25 }),
      zBox: () => api.zBox({ low: -3, high: 3 }),
      flat: () => api.flat(),
      wSquare: () => api.wSquare(),
    }).map(([name, rule]) => [
      name,
      () =>
        api.layerMap([
          [api.kinds('linear', 'conv2d'), rule()],
          ['relu', api.pass()],
          ['avgpool2d', api.norm()],
        ]),
    ]),
  );

  for (const [name, composite] of Object.entries({ ...presets, ...rules })) {
    it(`${name} runs leak-free and agrees with cpu`, () =>
      expectBackendsAgree(() => api.lrp(model, x, { composite: composite(), target })));
  }

  it('resnetCanonizers, then epsilonPlusFlat, runs leak-free and agrees with cpu', () =>
    expectBackendsAgree(() =>
      api.lrp(model, x, { composite: api.epsilonPlusFlat(), target, canonizers: api.resnetCanonizers() }),
    ));

  it('canonize (mergeBatchNorm, residualSum) keeps the logits on wasm as on cpu', () =>
    expectBackendsAgree(() => {
      const canonized = api.canonize(model, [api.mergeBatchNorm(), api.residualSum()]);
      try {
        return canonized.graph.run(x);
      } finally {
        canonized.dispose();
      }
    }));
});
