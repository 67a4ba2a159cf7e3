import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expectNoLeaks, expectTensorsClose } from '@attrib/test-utils';
import { importOnnx, type ImportOnnxOptions } from './import-onnx.js';
import { writeOnnx, type OnnxModelSpec } from './write-onnx.js';

/** An input in the ONNX model's own layout: float data, or int64 ids. */
export interface ReferenceInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly type?: 'float32' | 'int64';
}

/** Deterministic values in [−1, 1) (a small LCG), so each test model sees fixed inputs. */
export function values(count: number, seed = 1): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

export const tensorSpec = (shape: number[], seed: number) => ({
  shape,
  data: values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
});

const answers = new Map<string, { data: number[]; dims: number[] }>();

/** Runs the model in onnxruntime (the reference engine, in a child process) and returns its first output. */
export function runOnnxRuntime(
  bytes: Uint8Array,
  inputs: Readonly<Record<string, ReferenceInput>>,
): { data: Float32Array; dims: number[] } {
  const request = {
    model: Buffer.from(bytes).toString('base64'),
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, { ...v, data: Array.from(v.data) }]),
    ),
  };
  const key = JSON.stringify(request);
  // The same model runs once per backend suite: onnxruntime answers once per process.
  if (!answers.has(key)) {
    const script = join(__dirname, '..', 'scripts', 'onnxruntime-run.cjs');
    answers.set(key, JSON.parse(execFileSync(process.execPath, [script], { input: key }).toString()));
  }
  const answer = answers.get(key)!;
  return { data: Float32Array.from(answer.data), dims: answer.dims };
}

/** Moves axis 1 (channels) last, the importer's 'nhwc' layout, for rank ≥ 3. */
function channelsLast(x: tf.Tensor): tf.Tensor {
  if (x.rank < 3) return tf.clone(x);
  return tf.transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1]);
}

/**
 * Writes `spec`, runs it in onnxruntime and through the imported graph (inputs converted to the
 * graph's layout, its output converted back), and checks both agree within `atol` (+1e-5 relative),
 * and that the graph's forward pass leaks nothing. Returns the graph for further checks.
 */
export async function expectMatchesOnnxRuntime(
  spec: OnnxModelSpec,
  inputs: Readonly<Record<string, ReferenceInput>>,
  { atol = 1e-5, ...options }: ImportOnnxOptions & { atol?: number } = {},
) {
  const bytes = writeOnnx(spec);
  const expected = runOnnxRuntime(bytes, inputs);
  const graph = importOnnx(bytes, options);
  const nhwc = (options.layout ?? 'nhwc') === 'nhwc';
  const feeds = graph.inputs.map(({ name }) => {
    const input = inputs[name];
    const x =
      input.type === 'int64'
        ? tf.tensor(Int32Array.from(input.data), [...input.shape], 'int32')
        : tf.tensor(Float32Array.from(input.data), [...input.shape]);
    if (!nhwc || input.type === 'int64') return x;
    const converted = channelsLast(x);
    x.dispose();
    return converted;
  });
  await expectNoLeaks(() => graph.run(feeds));
  const output = graph.run(feeds);
  // The importer's rule: an image model (a float input of rank ≥ 3) gives maps channels-last.
  const imageModel = Object.values(inputs).some((i) => i.type !== 'int64' && i.shape.length >= 3);
  const inModelLayout =
    nhwc && imageModel && output.rank >= 3
      ? tf.transpose(output, [
          0,
          output.rank - 1,
          ...Array.from({ length: output.rank - 2 }, (_, i) => i + 1),
        ])
      : tf.clone(output);
  expect(inModelLayout.shape).toEqual(expected.dims);
  expectTensorsClose(inModelLayout, expected.data, { atol, rtol: 1e-5 });
  tf.dispose([...feeds, output, inModelLayout]);
  return graph;
}
