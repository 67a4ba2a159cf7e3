import * as tf from '@tensorflow/tfjs-core';

/** The marker every Attrib error carries (core's `AttribError`); read here so this package imports no Attrib code. */
const attribMarker = Symbol.for('attrib.error');

/**
 * Runs `run`, which must fail with a typed Attrib error whose message names the function `fn` and the
 * argument `argument`, and must leave no tensor behind (tensors made before the call do not count).
 */
export async function expectTypedError(fn: string, argument: string, run: () => unknown): Promise<void> {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  if (error === undefined)
    throw new Error(`expectTypedError: ${fn} accepted the input (expected an error naming '${argument}')`);
  const typed =
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[attribMarker] === true;
  if (!typed) throw new Error(`expectTypedError: ${fn} threw an untyped error: ${String(error)}`);
  const { message } = error as Error;
  if (!message.includes(fn) || !message.includes(argument))
    throw new Error(`expectTypedError: the message does not name '${fn}' and '${argument}': ${message}`);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`expectTypedError: ${fn} left ${leaked} tensor(s) behind when it threw`);
}
