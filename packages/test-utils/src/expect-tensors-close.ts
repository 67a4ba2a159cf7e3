import * as tf from '@tensorflow/tfjs-core';

type TensorLikeData = tf.Tensor | number[] | Float32Array | Float64Array | Int32Array | number;

function toFlat(x: TensorLikeData): { data: Float64Array; shape: number[] } {
  if (typeof x === 'number') return { data: Float64Array.of(x), shape: [] };
  if (x instanceof tf.Tensor) return { data: Float64Array.from(x.dataSync()), shape: x.shape };
  return { data: Float64Array.from(x), shape: [x.length] };
}

/** Largest elementwise |a − b|; shapes must agree. */
export function maxAbsDiff(actual: TensorLikeData, expected: TensorLikeData): number {
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (a.data.length !== e.data.length) {
    throw new Error(`maxAbsDiff: sizes differ, actual [${a.shape}] vs expected [${e.shape}]`);
  }
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - e.data[i]));
  return worst;
}

/**
 * numpy.allclose-style comparison, `|a − e| ≤ atol + rtol·|e|` elementwise, with a message naming
 * the first offending element. Shapes must match exactly when both sides are tensors.
 */
export function expectTensorsClose(
  actual: TensorLikeData,
  expected: TensorLikeData,
  { atol = 1e-5, rtol = 1e-4 }: { atol?: number; rtol?: number } = {},
): void {
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    if (a.shape.join(',') !== e.shape.join(',')) {
      throw new Error(`expectTensorsClose: shape [${a.shape}] differs from expected [${e.shape}]`);
    }
  }
  if (a.data.length !== e.data.length) {
    throw new Error(
      `expectTensorsClose: ${a.data.length} values differ in count from expected ${e.data.length}`,
    );
  }
  for (let i = 0; i < a.data.length; i++) {
    const diff = Math.abs(a.data[i] - e.data[i]);
    const bothNaN = Number.isNaN(a.data[i]) && Number.isNaN(e.data[i]);
    if (!bothNaN && !(diff <= atol + rtol * Math.abs(e.data[i]))) {
      throw new Error(
        `expectTensorsClose: element ${i} is ${a.data[i]}, expected ${e.data[i]} ` +
          `(|diff| ${diff.toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|; max |diff| ${maxAbsDiff(actual, expected).toExponential(3)})`,
      );
    }
  }
}
