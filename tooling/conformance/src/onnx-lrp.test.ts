import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { tensorFromJson } from '@attrib/core';
import { describeWithBackends, expectNoLeaks, fixturePath } from '@attrib/test-utils';
import { epsilon, epsilonPlusFlat, lrp, mergeBatchNorm, mixed, nameMap, residualSum } from '@attrib/lrp';
import { loadOnnx } from '@attrib/onnx';

// resblock_pub.onnx is PyTorch's export (BatchNorms folded into the convs, a residual add): the imported
// graph's node names are what LRP's canonizers and name maps address.
describeWithBackends('LRP on the imported resblock_pub.onnx', ['cpu', 'wasm'], () => {
  // The inputs and targets of the reference case for this composite (chosen away from ReLU kinks, where
  // the epsilon rule of the last linear layer absorbs relevance).
  const reference = JSON.parse(
    readFileSync(
      fixturePath(
        'conformance',
        'cases',
        'resblock_pub',
        'zennit',
        'EpsilonPlusFlat',
        'canonized_zero_params_bias.json',
      ),
      'utf8',
    ),
  );
  const x = () => tensorFromJson(reference.inputs);
  const target = reference.options.target as number[];

  it('epsilonPlusFlat, the residual canonizers and zeroParams bias conserve relevance within 1e-5', async () => {
    const graph = await loadOnnx(fixturePath('conformance', 'models', 'resblock_pub.onnx'));
    const inputs = x();
    const explain = (canonizers: ReturnType<typeof residualSum>[]) =>
      lrp(graph, inputs, { composite: epsilonPlusFlat({ zeroParams: 'bias' }), canonizers, target });
    const result = explain([mergeBatchNorm(), residualSum({ nodes: ['block.add'] })]);
    const gap = tf.sub(result.conservation.input, result.conservation.output);
    expect(Math.max(...Array.from(tf.abs(gap).dataSync()))).toBeLessThan(1e-5);
    expect(Array.from(result.conservation.output.dataSync())).toEqual(target.map(() => 1));
    // Without the residual sum both branches receive all of block.add's relevance: not conserved.
    const plain = explain([]);
    expect(
      Math.max(...Array.from(plain.conservation.input.dataSync()).map((v) => Math.abs(v - 1))),
    ).toBeGreaterThan(1e-2);
    tf.dispose([gap]);
    result.dispose();
    plain.dispose();
    await expectNoLeaks(() => explain([mergeBatchNorm(), residualSum()]));
    inputs.dispose();
  });

  it('a name map addresses the module paths torch.onnx recorded', async () => {
    const graph = await loadOnnx(fixturePath('conformance', 'models', 'resblock_pub.onnx'));
    const inputs = x();
    const base = epsilonPlusFlat({ zeroParams: 'bias' });
    const named = mixed(
      nameMap([{ nodes: ['block.conv1', 'block.conv2'], rule: epsilon({ epsilon: 0.25 }) }]),
      base,
    );
    const [a, b] = [base, named].map((composite) =>
      lrp(graph, inputs, { composite, target, canonizers: [residualSum()] }),
    );
    // Epsilon(0.25) absorbs relevance where ZPlus did not: the sums differ, so the map took effect.
    const diff = tf.sub(a.conservation.input, b.conservation.input);
    expect(Math.max(...Array.from(tf.abs(diff).dataSync()))).toBeGreaterThan(1e-3);
    tf.dispose([diff, inputs]);
    a.dispose();
    b.dispose();
  });
});
