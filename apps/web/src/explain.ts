import * as tf from '@tensorflow/tfjs-core';
import { gradients, loadModel, type Graph, type JsonModel } from '@attrib/core';
import cnnSmall from './models/cnn_small.json';

export function demoModel(): Graph {
  return loadModel(cnnSmall as unknown as JsonModel);
}

/** A 16×16 RGB test pattern: a bright diagonal stripe on a dim background, per sample shifted. */
export function demoImages(count: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, 16), [1, 16, 1, 1]);
    const cols = tf.reshape(tf.range(0, 16), [1, 1, 16, 1]);
    const shift = tf.reshape(tf.range(0, count), [count, 1, 1, 1]);
    const stripe = tf.cast(tf.less(tf.abs(tf.sub(tf.sub(rows, cols), tf.mul(shift, 3))), 2), 'float32');
    const channels = tf.reshape(tf.tensor1d([0.9, 0.4, -0.3]), [1, 1, 1, 3]);
    return tf.sub(tf.mul(stripe, channels), 0.2) as tf.Tensor4D;
  });
}

export interface Explanation {
  /** Predicted class per sample. */
  targets: number[];
  /** |∂f[t]/∂x| maximised over channels, [N, 16, 16]. */
  saliency: tf.Tensor3D;
  /** Σ ∂f[t]/∂x per sample, for cross-checking runtimes. */
  gradientSums: number[];
}

export function explain(model: Graph, images: tf.Tensor4D): Explanation {
  const logits = model.run(images);
  const targets = Array.from(tf.argMax(logits, 1).dataSync());
  logits.dispose();
  const { inputGradients, output, objective } = gradients(model, images, { target: targets });
  const [gradient] = inputGradients;
  const saliency = tf.tidy(() => tf.max(tf.abs(gradient), 3) as tf.Tensor3D);
  const gradientSums = Array.from(tf.tidy(() => tf.sum(gradient, [1, 2, 3])).dataSync());
  tf.dispose([gradient, output, objective]);
  return { targets, saliency, gradientSums };
}
