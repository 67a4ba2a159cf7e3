import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  invalidArgument,
  resolveModelInputs,
  targetIndices,
  type AttributionInputs,
  type Graph,
  type Target,
} from '@attrib/core';
import { checkSeed, seededRandom, streamSeed } from '@attrib/core';
import { spearman } from './statistics.js';

export interface RandomLogitOptions<I extends AttributionInputs = tf.Tensor> {
  /** Explains `inputs` for one class per sample; returns attributions [N, ...]. */
  readonly explain: (inputs: I, target: Int32Array) => tf.Tensor | Promise<tf.Tensor>;
  readonly target: Target;
  readonly seed?: number;
  /** Compare |attributions| (default false: a class-sensitive explanation should change sign too). */
  readonly abs?: boolean;
}

/**
 * Random-logit check (Sixt et al. 2020; Quantus `RandomLogit`): explain each sample for its target
 * and for a random other class, and measure the Spearman similarity. Class-sensitive methods score low.
 */
export async function randomLogitCheck<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  rawOptions: RandomLogitOptions<I>,
): Promise<{ similarity: number[]; otherTarget: Int32Array }> {
  const fn = 'randomLogitCheck';
  const options = checkOptions(fn, rawOptions, ['explain', 'target', 'seed', 'abs'], { booleans: ['abs'] });
  const resolved = resolveModelInputs(model, inputs, { fn });
  resolved.dispose();
  if (typeof options?.explain !== 'function')
    throw invalidArgument(fn, 'explain', 'a function (inputs, target) => attributions', options?.explain);
  const shape = model.outputShape(inputs, fn);
  const target = targetIndices(options.target, shape, fn);
  if (!target) throw invalidArgument(fn, 'target', 'class indices (not a function)', options.target);
  const classes = shape.slice(1).reduce((a, b) => a * b, 1);
  if (classes < 2)
    throw invalidArgument(fn, 'model', 'a model with at least two output classes', `${classes} class`);
  const seed = checkSeed(fn, options.seed);
  // One stream per sample: a sample's other class does not depend on the batch around it.
  const otherTarget = target.map((t, i) => {
    const pick = Math.floor(seededRandom(streamSeed(seed, i))() * (classes - 1));
    return pick >= t ? pick + 1 : pick;
  });
  const a = await options.explain(inputs, target);
  const b = await options.explain(inputs, otherTarget);
  try {
    const rows = resolved.batch;
    const size = a.size / rows;
    const [x, y] = [a.dataSync(), b.dataSync()];
    const magnitude = (v: number) => (options.abs ? Math.abs(v) : v);
    const similarity = Array.from({ length: rows }, (_, i) =>
      spearman(
        Array.from(x.subarray(i * size, (i + 1) * size), magnitude),
        Array.from(y.subarray(i * size, (i + 1) * size), magnitude),
      ),
    );
    return { similarity, otherTarget };
  } finally {
    tf.dispose([a, b]);
  }
}
