import * as tf from '@tensorflow/tfjs-core';
import { createModule } from '@attrib/core';
import { affineVjp, describeWithBackends, expectTensorsClose, randomTensor } from '@attrib/test-utils';
import { linearInputVjp } from './linear-vjp.js';

// The reference is built from forward passes only (affineVjp): tf.grad of a conv would run core's
// registered Conv2D gradient, which calls the same conv2dInputGradient as the code under test.
describeWithBackends('direct input VJPs of dense and conv layers', ['cpu', 'wasm'], () => {
  const convs: Array<[string, number[], Record<string, unknown>, number[]]> = [
    ['3×3, pad 1', [3, 3, 2, 4], { pad: [1, 1, 1, 1] }, [2, 6, 6, 2]],
    ['2×3, asymmetric pad', [2, 3, 2, 3], { pad: [1, 0, 2, 1] }, [2, 5, 7, 2]],
    ['3×3, no pad', [3, 3, 3, 2], {}, [1, 6, 5, 3]],
    ['3×3, stride 2, pad 1', [3, 3, 1, 2], { strides: [2, 2], pad: [1, 1, 1, 1] }, [1, 5, 5, 1]],
  ];
  for (const [name, wShape, config, xShape] of convs) {
    it(`conv ${name} agrees with the adjoint of the forward pass`, () => {
      tf.tidy(() => {
        const module = createModule('conv2d', { weight: randomTensor(wShape, 1) }, config);
        const x = randomTensor(xShape, 2);
        const dy = randomTensor(module.forward([x]).shape, 3);
        const direct = linearInputVjp(module, undefined, [x], dy);
        expect(direct).not.toBeNull();
        const expected = affineVjp((v) => module.forward([v]), xShape.slice(1), dy);
        expectTensorsClose(direct![0], expected, { atol: 1e-5 });
      });
    });
  }

  it('dense agrees with the adjoint of the forward pass; other kinds fall back (null)', () => {
    tf.tidy(() => {
      const dense = createModule('linear', { weight: randomTensor([4, 3], 4), bias: randomTensor([3], 5) });
      const x = randomTensor([2, 4], 6);
      const dy = randomTensor([2, 3], 7);
      expectTensorsClose(
        linearInputVjp(dense, undefined, [x], dy)![0],
        affineVjp((v) => dense.forward([v]), [4], dy),
        { atol: 1e-6 },
      );
      expect(linearInputVjp(createModule('relu'), undefined, [x], x)).toBeNull();
    });
  });
});
