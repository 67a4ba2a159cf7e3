import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@attrib/core';
import {
  describeWithBackends,
  expectTensorsClose,
  fixturePath,
  maxAbsDiff,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import * as lrpApi from './index.js';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const shared = fixturePath('conformance', 'models');

/** The ```ts block after `<!-- readme-test: name -->`, run as written (imports supplied here). */
function runBlock(name: string, scope: Record<string, unknown>, returns: string[]): Record<string, unknown> {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README has no block '${name}'`);
  const body = match[1]
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  const names = Object.keys(scope);
  // The blocks are plain JavaScript that is also valid TypeScript, so they run untranspiled.
  return new Function(...names, `${body}\nreturn { ${returns.join(', ')} };`)(...names.map((n) => scope[n]));
}

const scope = (extra: Record<string, unknown>) => ({ tf, ...core, ...lrpApi, ...extra });

describeWithBackends('README examples', ['cpu'], () => {
  it('the opening example runs and conserves relevance up to what biases absorbed', () => {
    const modelJson = JSON.parse(readFileSync(join(shared, 'resblock_pub.json'), 'utf8'));
    const { result } = runBlock('intro', scope({ modelJson }), ['result']) as { result: lrpApi.LrpResult };
    expect(result.attributions.shape).toEqual([4, 8, 8, 3]);
    const absorbed = [...result.conservation.absorbed.values()].reduce((a, b) => tf.add(a, b));
    expectTensorsClose(tf.add(result.conservation.input, absorbed), [1, 1, 1, 1], { atol: 1e-4 });
  });

  it('the custom rule equals zPlus without bias on non-negative inputs', () => {
    const model = core.loadModel(tinyModels.cnn());
    const images = randomTensor([2, 4, 4, 2], 1, 0, 1);
    const { result } = runBlock('custom-rule', scope({ model, images }), ['result']) as {
      result: lrpApi.LrpResult;
    };
    const reference = lrpApi.lrp(model, images, {
      composite: lrpApi.mixed(
        lrpApi.layerMap([['conv2d', lrpApi.zPlus({ zeroParams: 'bias' })]]),
        lrpApi.epsilonPlus(),
      ),
      target: 0,
    });
    expectTensorsClose(result.attributions, reference.attributions, { atol: 1e-6, rtol: 1e-4 });
  });

  it('the custom canonizer explains the logits and leaves the model alone', () => {
    const spec = tinyModels.mlp();
    const modelWithSoftmax = core.loadModel({
      ...spec,
      nodes: [...spec.nodes, { name: 'probs', op: 'softmax', inputs: ['fc2'] }],
      output: 'probs',
    });
    const logitsModel = core.loadModel(spec);
    const inputs = randomTensor([3, 3], 2);
    const { result } = runBlock('custom-canonizer', scope({ modelWithSoftmax, inputs }), ['result']) as {
      result: lrpApi.LrpResult;
    };
    const reference = lrpApi.lrp(logitsModel, inputs, {
      composite: lrpApi.epsilonPlus(),
      target: 0,
      seed: 'logit',
    });
    expectTensorsClose(result.attributions, reference.attributions, { atol: 1e-6 });
    // Without it the seed would be the probability: a different map.
    const uncanonized = lrpApi.lrp(modelWithSoftmax, inputs, {
      composite: lrpApi.epsilonPlus(),
      target: 0,
      seed: 'logit',
    });
    expect(maxAbsDiff(uncanonized.attributions, reference.attributions)).toBeGreaterThan(1e-3);
    expect(modelWithSoftmax.node('probs').module.kind).toBe('softmax');
  });
});
