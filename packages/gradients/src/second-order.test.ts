import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createModule, loadModel, type Graph } from '@attrib/core';
import { describeWithBackends, expectTensorsClose, fixturePath, randomTensor } from '@attrib/test-utils';
import { deepLift, guidedBackprop } from './index.js';

/**
 * d/dθ Σ mask · explanation(θ) through `tf.grad`, against central differences along a random
 * direction, on the public models with a residual fork and max-pooling (resblock_pub) and with average
 * pooling (cnn_bn_pub). DeepLift used to throw (tfjs has no gradient for Less) and every rule walk
 * counted a fork's branch twice under an outer tf.grad.
 */

/** `graph` with one parameter replaced (the same kind, config and other parameters). */
function withParam(graph: Graph, node: string, param: string, value: tf.Tensor): Graph {
  return graph.derive({
    nodes: graph.nodes.map((n) =>
      n.name === node
        ? {
            ...n,
            module: createModule(
              n.module.kind,
              { ...n.module.params, [param]: value },
              n.module.config,
              n.name,
            ),
          }
        : n,
    ),
  });
}

type Explain = (graph: Graph, x: tf.Tensor) => tf.Tensor;

const methods: Record<string, { explain: Explain; step: number }> = {
  deepLift: {
    explain: (graph, x) => {
      const result = deepLift(graph, x, { target: 1, baselines: tf.mul(x, 0.25) });
      return result.attributions as tf.Tensor;
    },
    step: 1e-3,
  },
  // Guided backprop clips the gradient itself: piecewise linear in θ, so a step within one piece.
  guidedBackprop: {
    explain: (graph, x) => guidedBackprop(graph, x, { target: 1 }).attributions as tf.Tensor,
    step: 1e-4,
  },
};

describeWithBackends('rule methods under tf.grad (second order)', ['cpu', 'wasm'], () => {
  const setups = [
    { model: 'resblock_pub', node: 'fc', param: 'weight' },
    { model: 'resblock_pub', node: 'block.bn1', param: 'gamma' },
    { model: 'cnn_bn_pub', node: 'fc', param: 'weight' },
  ];
  for (const setup of setups) {
    for (const [name, { explain, step }] of Object.entries(methods)) {
      it(`${name}, ${setup.model}, d/d ${setup.node}.${setup.param}: matches finite differences`, () => {
        const graph = loadModel(
          JSON.parse(readFileSync(fixturePath('conformance', 'models', `${setup.model}.json`), 'utf8')),
        );
        const x = randomTensor([2, 8, 8, 3], 3);
        const mask = randomTensor([2, 8, 8, 3], 4);
        const theta0 = graph.node(setup.node).module.params[setup.param];
        const direction = randomTensor(theta0.shape, 5);
        const at = (theta: tf.Tensor) => explain(withParam(graph, setup.node, setup.param, theta), x);
        const loss = (theta: tf.Tensor) => tf.sum(tf.mul(mask, at(theta)));
        const analytic = tf.tidy(() => tf.sum(tf.mul(tf.grad(loss)(theta0), direction)).dataSync()[0]);
        const along = (s: number) => tf.tidy(() => loss(tf.add(theta0, tf.mul(direction, s))).dataSync()[0]);
        const numeric = (along(step) - along(-step)) / (2 * step);
        expectTensorsClose([analytic], [numeric], { atol: 2e-3, rtol: 2e-3 });
        // The attributions computed inside tf.grad are those computed outside it.
        let inside: Float32Array | undefined;
        tf.tidy(() =>
          tf.grad((theta: tf.Tensor) => {
            const e = at(theta);
            inside = e.dataSync() as Float32Array;
            return tf.sum(e);
          })(theta0),
        );
        expectTensorsClose(
          inside!,
          tf.tidy(() => at(theta0)),
          { atol: 1e-6, rtol: 1e-5 },
        );
      });
    }
  }
});
