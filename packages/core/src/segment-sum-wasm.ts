import * as tf from '@tensorflow/tfjs-core';

/** The two methods of tfjs-backend-wasm's backend this kernel uses (core does not depend on it). */
interface WasmBackendLike {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
}

/**
 * `UnsortedSegmentSum` for the wasm backend, which has none. tfjs's gradient of `tf.gather` (the
 * embedding kind's weight gradient) sums rows by index with it, so without this kernel any gradient
 * through a gather throws on wasm. TF semantics: `out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]`, ids outside
 * [0, numSegments) dropped. A plain loop over the heap values: the sum is one pass over `x`, as cheap as
 * copying it, and its own gradient (a gather) is tfjs's, so second-order gradients pass through it.
 */
function unsortedSegmentSum({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const wasm = backend as WasmBackendLike;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const values = wasm.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = wasm.readSync(segmentIds.dataId) as Int32Array;
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const inner = rowShape.reduce((a, b) => a * b, 1);
  const out =
    x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i];
    if (segment < 0 || segment >= numSegments) continue;
    for (let j = 0; j < inner; j++) out[segment * inner + j] += values[i * inner + j];
  }
  return wasm.makeOutput([numSegments, ...rowShape], x.dtype, undefined, out);
}

/** Registers the kernel for 'wasm' unless that backend already has one (a later tfjs release). */
export function registerWasmSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSum,
  });
}
