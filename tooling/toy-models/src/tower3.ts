import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, seededRandom, type Graph, type SeededRandom } from '@attrib/core';

export interface TrainTower3Options {
  /** Seeds the data, the initial weights and nothing else: training itself is deterministic. */
  readonly seed?: number;
  /** Full-batch Adam steps. */
  readonly steps?: number;
  readonly learningRate?: number;
  /** Samples in the training set (X ~ N(0, 1), 3 columns). */
  readonly samples?: number;
  /** Called after each step with the loss, e.g. to drive a progress bar. */
  readonly onStep?: (step: number, total: number, loss: number) => void;
}

export interface Tower3 {
  /** The trained model: towers `tower0..2` (linear, pre-activation) read input columns 0..2. */
  readonly model: Graph;
  /** The training inputs, [samples, 3]. */
  readonly inputs: tf.Tensor2D;
  /** label = x[:, 1] > 0, one class index per sample. */
  readonly labels: Int32Array;
  /** Training-set accuracy of the trained model. */
  readonly accuracy: number;
  /** Frees the inputs and the model's weights. */
  dispose(): void;
}

export const TOWER_COUNT = 3;
export const TOWER_WIDTH = 4;
/** The input column the label depends on: tower1 is the informative tower. */
export const INFORMATIVE_FEATURE = 1;

/** Tower weights of random sign and magnitude in [0.5, 1.5), biases in [−0.3, 0.3): no dead tower unit on N(0, 1) data. */
function initialWeights(next: SeededRandom): Record<string, Float32Array> {
  const uniformSamples = (count: number, low: number, high: number) =>
    Float32Array.from({ length: count }, () => low + (high - low) * next());
  const weights: Record<string, Float32Array> = {};
  for (let t = 0; t < TOWER_COUNT; t++) {
    weights[`tower${t}/weight`] = Float32Array.from(
      { length: TOWER_WIDTH },
      () => (next() < 0.5 ? -1 : 1) * (0.5 + next()),
    );
    weights[`tower${t}/bias`] = uniformSamples(TOWER_WIDTH, -0.3, 0.3);
  }
  // torch's default Linear init: U(±1/√fanIn).
  const bound = 1 / Math.sqrt(TOWER_COUNT * TOWER_WIDTH);
  weights['combiner/weight'] = uniformSamples(TOWER_COUNT * TOWER_WIDTH * 2, -bound, bound);
  weights['combiner/bias'] = uniformSamples(2, -bound, bound);
  return weights;
}

function buildTower3(params: Record<string, tf.Tensor>): Graph {
  const builder = new GraphBuilder({ name: 'x', shape: [null, TOWER_COUNT] });
  for (let t = 0; t < TOWER_COUNT; t++) {
    builder
      .slice(`slice${t}`, [0, t], [-1, 1], ['x'])
      .linear(`tower${t}`, { weight: params[`tower${t}/weight`], bias: params[`tower${t}/bias`] })
      .relu(`relu${t}`);
  }
  return builder
    .concat(
      'concat',
      Array.from({ length: TOWER_COUNT }, (_, t) => `relu${t}`),
    )
    .linear('combiner', { weight: params['combiner/weight'], bias: params['combiner/bias'] })
    .build();
}

const shapes: Record<string, number[]> = {
  weight: [1, TOWER_WIDTH],
  bias: [TOWER_WIDTH],
  'combiner/weight': [TOWER_COUNT * TOWER_WIDTH, 2],
  'combiner/bias': [2],
};
const shapeOf = (name: string) => shapes[name] ?? shapes[name.split('/')[1]];

/**
 * The 3-tower toy model of the neuron-importance example (tower3 in the conformance models), trained
 * from a fixed seed in well under a second: three towers `slice column i → linear(1→4) → relu`,
 * concatenated, `linear(12→2)`; X ~ N(0, 1), label = X[:, 1] > 0, softmax cross-entropy, full-batch
 * Adam. Same seed, same backend → same weights.
 */
export function trainTower3(options: TrainTower3Options = {}): Tower3 {
  const { seed = 0, steps = 150, learningRate = 0.05, samples = 200, onStep } = options;
  const next = seededRandom(seed);
  const x = Float32Array.from({ length: samples * TOWER_COUNT }, () => next.normal());
  const labels = Int32Array.from({ length: samples }, (_, i) =>
    x[i * TOWER_COUNT + INFORMATIVE_FEATURE] > 0 ? 1 : 0,
  );
  const init = initialWeights(next);

  const variables: Record<string, tf.Variable> = {};
  for (const [name, data] of Object.entries(init)) {
    const value = tf.tensor(data, shapeOf(name));
    variables[name] = tf.variable(value);
    value.dispose();
  }
  const inputs = tf.tensor2d(x, [samples, TOWER_COUNT]);
  const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2));
  // The graph reads the variables, so the optimizer's gradients flow through `graph.run`.
  const training = buildTower3(variables);
  const optimizer = tf.train.adam(learningRate);
  try {
    for (let step = 0; step < steps; step++) {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(oneHot, training.run(inputs)) as tf.Scalar,
        true,
        Object.values(variables),
      )!;
      const value = onStep ? loss.dataSync()[0] : NaN;
      loss.dispose();
      onStep?.(step + 1, steps, value);
    }
  } finally {
    optimizer.dispose();
    oneHot.dispose();
  }

  // Freeze: the returned model holds plain tensors, not variables someone could train further.
  const frozen: Record<string, tf.Tensor> = {};
  for (const [name, variable] of Object.entries(variables)) {
    frozen[name] = tf.clone(variable);
    variable.dispose();
  }
  const model = buildTower3(frozen);
  const accuracy = tf.tidy(() => {
    const predicted = Array.from(tf.argMax(model.run(inputs), 1).dataSync());
    return predicted.filter((p, i) => p === labels[i]).length / samples;
  });
  return {
    model,
    inputs,
    labels,
    accuracy,
    dispose: () => tf.dispose([inputs, ...Object.values(frozen)]),
  };
}
