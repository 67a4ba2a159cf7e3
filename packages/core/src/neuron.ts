import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from './errors.js';

/**
 * One unit of a layer tensor (batch axis excluded): a flat index into the non-batch axes (row-major,
 * NHWC), an index tuple with one entry per non-batch axis, or a function of the activation that
 * returns one value per sample.
 */
export type NeuronSelector = number | readonly number[] | ((activation: tf.Tensor) => tf.Tensor);

/** The index tuple a non-function selector names, checked against the activation's shape. */
export function neuronIndex(
  selector: Exclude<NeuronSelector, (a: tf.Tensor) => tf.Tensor>,
  shape: readonly number[],
  fn: string,
): number[] {
  const unitShape = shape.slice(1);
  const size = unitShape.reduce((a, b) => a * b, 1);
  if (typeof selector === 'number') {
    if (!Number.isInteger(selector) || selector < 0 || selector >= size) {
      throw invalidArgument(
        fn,
        'neuron',
        `a flat index in [0, ${size}) for a layer of shape [${unitShape}]`,
        selector,
      );
    }
    const tuple: number[] = [];
    let rest = selector;
    for (let axis = unitShape.length - 1; axis >= 0; axis--) {
      tuple[axis] = rest % unitShape[axis];
      rest = Math.floor(rest / unitShape[axis]);
    }
    return tuple;
  }
  if (!Array.isArray(selector) || selector.length !== unitShape.length) {
    throw invalidArgument(
      fn,
      'neuron',
      `an index, a tuple of ${unitShape.length} indices for shape [${unitShape}], or a function`,
      selector,
    );
  }
  selector.forEach((index, axis) => {
    if (!Number.isInteger(index) || index < 0 || index >= unitShape[axis]) {
      throw invalidArgument(fn, 'neuron', `indices within shape [${unitShape}]`, selector);
    }
  });
  return [...selector];
}

/** The selected neuron's value per sample, shape [N]. Differentiable. */
export function selectNeuron(activation: tf.Tensor, selector: NeuronSelector, fn: string): tf.Tensor1D {
  if (typeof selector === 'function') {
    const value = selector(activation);
    if (value.rank !== 1 || value.shape[0] !== activation.shape[0]) {
      throw invalidArgument(
        fn,
        'neuron',
        `a function returning one value per sample (shape [${activation.shape[0]}])`,
        value,
      );
    }
    return value as tf.Tensor1D;
  }
  const index = neuronIndex(selector as number | number[], activation.shape, fn);
  return tf.tidy(
    () =>
      tf.reshape(tf.slice(activation, [0, ...index], [-1, ...index.map(() => 1)]), [
        activation.shape[0],
      ]) as tf.Tensor1D,
  );
}
