import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@attrib/core';
import { describeWithBackends, expectTensorsClose, fixturePath } from '@attrib/test-utils';
import * as onnxApi from './index.js';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

/** The ```ts block after `<!-- readme-test: name -->`, run as written (imports supplied here). */
async function runBlock(name: string, scope: Record<string, unknown>, returns: string[]) {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README has no block '${name}'`);
  const body = match[1]
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as FunctionConstructor;
  const names = Object.keys(scope);
  // The block awaits loadOnnx, so it runs as the body of an async function.
  return (await new AsyncFunction(...names, `${body}\nreturn { ${returns.join(', ')} };`)(
    ...names.map((n) => scope[n]),
  )) as Record<string, unknown>;
}

describeWithBackends('README examples', ['cpu'], () => {
  it('the opening example imports resblock_pub.onnx and its gradients equal the JSON model’s', async () => {
    const onnxPath = fixturePath('conformance', 'models', 'resblock_pub.onnx');
    const { names, images, inputGradients, output } = (await runBlock(
      'intro',
      { tf, ...core, ...onnxApi, onnxPath },
      ['names', 'images', 'inputGradients', 'output'],
    )) as { names: string[]; images: tf.Tensor; inputGradients: tf.Tensor[]; output: tf.Tensor };
    expect(names.slice(0, 3)).toEqual(['stem_conv', 'stem_relu', 'block.conv1']);
    // The attrib-model JSON of the same network (written separately from the torch weights) as reference.
    const json = core.loadModel(
      JSON.parse(readFileSync(fixturePath('conformance', 'models', 'resblock_pub.json'), 'utf8')),
    );
    const reference = core.gradients(json, images, { target: 1 });
    expectTensorsClose(output, reference.output, { atol: 1e-5 });
    expectTensorsClose(inputGradients[0], reference.inputGradients[0], { atol: 1e-5 });
    tf.dispose([
      images,
      output,
      ...inputGradients,
      reference.output,
      reference.objective,
      ...reference.inputGradients,
    ]);
  });
});
