import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@attrib/core';
import {
  describeWithBackends,
  expectTensorsClose,
  fixturePath,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import * as api from './index.js';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const models = fixturePath('conformance', 'models');

/** The ```ts block after `<!-- readme-test: name -->`, run as written (imports supplied here). */
async function runBlock(
  name: string,
  scope: Record<string, unknown>,
  returns: string[],
): Promise<Record<string, unknown>> {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README has no block '${name}'`);
  const body = match[1]
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  const names = Object.keys({ tf, ...core, ...api, ...scope });
  const values = { tf, ...core, ...api, ...scope } as Record<string, unknown>;
  // The blocks are plain JavaScript (with top-level await), so they run untranspiled.
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<Record<string, unknown>>;
  return new AsyncFunction(...names, `${body}\nreturn { ${returns.join(', ')} };`)(
    ...names.map((n) => values[n]),
  );
}

describeWithBackends('README examples', ['cpu'], () => {
  it('the opening example runs, and the Shapley values are efficient', async () => {
    const modelJson = JSON.parse(readFileSync(join(models, 'cnn_small.json'), 'utf8'));
    const { patches, shapley, model, images } = (await runBlock('intro', { modelJson }, [
      'patches',
      'shapley',
      'model',
      'images',
    ])) as {
      patches: api.AttributionResult;
      shapley: api.AttributionResult;
      model: core.Graph;
      images: tf.Tensor;
    };
    expect(patches.attributions.shape).toEqual([4, 16, 16, 3]);
    // 4 groups of 64 pixels × 3 channels, each element holding its group's value.
    const pick = (x: tf.Tensor) => tf.squeeze(tf.slice(model.run(x), [0, 1], [-1, 1]), [1]);
    expectTensorsClose(
      tf.div(tf.sum(shapley.attributions, [1, 2, 3]), 192),
      tf.sub(pick(images), pick(tf.fill(images.shape, 0.25))),
      { atol: 1e-4 },
    );
  });

  it('the custom method equals layerFeatureAblation with one group per channel', async () => {
    const model = core.loadModel(tinyModels.cnn());
    const x = randomTensor([2, 4, 4, 2], 9);
    const { channelImportance } = (await runBlock('custom-method', {}, ['channelImportance'])) as {
      channelImportance: (
        model: core.Graph,
        x: tf.Tensor,
        node: string,
        channels: number,
        t: number,
      ) => tf.Tensor;
    };
    const mine = channelImportance(model, x, 'conv', 3, 2);
    const reference = await api.layerFeatureAblation(model, x, {
      target: 2,
      layer: 'conv',
      layerMask: tf.tensor([0, 1, 2], [1, 1, 1, 3], 'int32'),
    });
    expectTensorsClose(
      mine,
      tf.transpose(tf.reshape(tf.slice(reference.attributions, [0, 0, 0, 0], [-1, 1, 1, -1]), [2, 3])),
      { atol: 1e-5 },
    );
  });
});
