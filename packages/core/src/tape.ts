import * as tf from '@tensorflow/tfjs-core';

interface EngineState {
  gradientDepth: number;
  kernelDepth: number;
  activeTape: Array<{ saved?: tf.Tensor[] }> | null;
  scopeStack: unknown[];
}

function engineState(): EngineState {
  return (tf.engine() as unknown as { state: EngineState }).state;
}

/**
 * tfjs keeps the tensors a gradient tape saved for backward until the backward pass ends; when the
 * forward function throws (a bad target, a failing user hook), `tf.grads` leaves them behind. Called
 * on that error path, this frees them, but only once no gradient computation is still running.
 */
export function disposeAbandonedTape(): void {
  const state = engineState();
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const tensor of node.saved ?? []) tensor.dispose();
  state.activeTape = null;
}

/** Where the engine stood when a call began: what a failure inside the call must return it to. */
interface EngineMark {
  readonly scopes: number;
  readonly gradientDepth: number;
  readonly kernelDepth: number;
}

function mark(): EngineMark {
  const state = engineState();
  return {
    scopes: state.scopeStack.length,
    gradientDepth: state.gradientDepth,
    kernelDepth: state.kernelDepth,
  };
}

/**
 * Returns the engine to `at` after a failure: scopes opened since are ended (freeing what they
 * tracked), gradient and kernel depths restored, and an abandoned gradient tape freed, so the next
 * call works. tfjs ends its own scopes on a JavaScript exception; an engine failure in the middle of a
 * kernel (an allocation that fails, a backend abort) can leave them open.
 */
function recover(at: EngineMark): void {
  const state = engineState();
  while (state.scopeStack.length > at.scopes) tf.engine().endScope(undefined);
  state.kernelDepth = at.kernelDepth;
  state.gradientDepth = at.gradientDepth;
  disposeAbandonedTape();
}

/** Runs a synchronous method body; on a throw, leaves tfjs as it was before the call, then rethrows. */
export function guardEngine<T>(body: () => T): T {
  const at = mark();
  try {
    return body();
  } catch (error) {
    recover(at);
    throw error;
  }
}

/** `guardEngine` for an async method body (the engine is checked when the body rejects). */
export async function guardEngineAsync<T>(body: () => Promise<T>): Promise<T> {
  const at = mark();
  try {
    return await body();
  } catch (error) {
    recover(at);
    throw error;
  }
}
