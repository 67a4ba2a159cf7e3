// Proves the built package loads in plain Node (no bundler, no jest) and computes an input gradient
// that agrees with a finite difference. Run by `pnpm test` after the build.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder, gradients } from '@attrib/core';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const model = new GraphBuilder({ name: 'x', shape: [null, 2] })
  .linear('fc1', {
    weight: tf.tensor2d([
      [1, -2, 0.5],
      [0.3, 1, -1],
    ]),
    bias: tf.tensor1d([0.1, 0, -0.2]),
  })
  .node('act', 'tanh')
  .linear('fc2', { weight: tf.tensor2d([[1], [0.5], [-2]]) })
  .build();
const x = tf.tensor2d([[0.2, -0.4]]);
const analytic = gradients(model, x, { target: 0 }).inputGradients[0].dataSync();
const f = (v) => model.run(tf.tensor2d([v])).dataSync()[0];
const h = 1e-3;
const numeric = [0, 1].map((i) => {
  const plus = [0.2, -0.4];
  const minus = [0.2, -0.4];
  plus[i] += h;
  minus[i] -= h;
  return (f(plus) - f(minus)) / (2 * h);
});
const worst = Math.max(...numeric.map((n, i) => Math.abs(n - analytic[i])));
if (!(worst < 1e-3)) {
  console.error(
    `plain node: gradient ${Array.from(analytic)} differs from finite differences ${numeric} by ${worst}`,
  );
  process.exit(1);
}
console.log(
  `plain node: @attrib/core input gradient agrees with finite differences (max |diff| ${worst.toExponential(2)})`,
);
