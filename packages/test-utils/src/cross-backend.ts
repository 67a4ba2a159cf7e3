import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from './backends.js';
import { disposeResult } from './expect-no-leaks.js';

/** Every number reachable from a result (tensors, numbers, arrays, Maps, records), in a stable order. */
function numbersIn(value: unknown, out: number[] = []): number[] {
  if (value instanceof tf.Tensor) out.push(...value.dataSync());
  else if (typeof value === 'number') out.push(value);
  else if (ArrayBuffer.isView(value)) out.push(...Array.from(value as unknown as ArrayLike<number>));
  else if (Array.isArray(value)) value.forEach((v) => numbersIn(v, out));
  else if (value instanceof Map) [...value.values()].forEach((v) => numbersIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => numbersIn(v, out));
  return out;
}

export interface BackendAgreement {
  /** Absolute and relative tolerance, `|wasm − cpu| ≤ atol + rtol·|cpu|` (float32 summation order differs). */
  readonly atol?: number;
  readonly rtol?: number;
  /** Require some non-zero number (default true): an all-zero result agrees with anything all-zero. */
  readonly nonZero?: boolean;
}

/**
 * The wasm smoke check: runs `run` on cpu, then on wasm, and fails when either call leaves a tensor
 * behind beyond what it returns, when a number is NaN or ±∞, when the results differ in size, or when
 * wasm's numbers differ from cpu's beyond the tolerance. Leaves the wasm backend active.
 */
export async function expectBackendsAgree(
  run: () => unknown,
  { atol = 1e-4, rtol = 1e-3, nonZero = true }: BackendAgreement = {},
): Promise<void> {
  const values: Partial<Record<BackendName, number[]>> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const result = await run();
    values[backend] = numbersIn(result);
    disposeResult(result);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`expectBackendsAgree: ${leaked} tensor(s) leaked on ${backend}`);
  }
  const [cpu, wasm] = [values.cpu!, values.wasm!];
  if (cpu.length === 0) throw new Error('expectBackendsAgree: the result holds no numbers');
  if (cpu.length !== wasm.length) {
    throw new Error(`expectBackendsAgree: cpu gave ${cpu.length} numbers, wasm ${wasm.length}`);
  }
  const bad = wasm.findIndex((w, i) => !Number.isFinite(w) || !Number.isFinite(cpu[i]));
  if (bad >= 0)
    throw new Error(`expectBackendsAgree: number ${bad} is ${cpu[bad]} on cpu, ${wasm[bad]} on wasm`);
  const off = wasm.findIndex((w, i) => Math.abs(w - cpu[i]) > atol + rtol * Math.abs(cpu[i]));
  if (off >= 0) {
    throw new Error(
      `expectBackendsAgree: number ${off} of ${cpu.length} is ${wasm[off]} on wasm, ${cpu[off]} on cpu (atol ${atol}, rtol ${rtol})`,
    );
  }
  if (nonZero && cpu.every((v) => v === 0)) throw new Error('expectBackendsAgree: every number is 0');
}
