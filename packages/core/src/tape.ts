import * as tf from '@tensorflow/tfjs-core';

interface EngineState {
  gradientDepth: number;
  activeTape: Array<{ saved?: tf.Tensor[] }> | null;
}

/**
 * tfjs keeps the tensors a gradient tape saved for backward until the backward pass ends; when the
 * forward function throws (a bad target, a failing user hook), `tf.grads` leaves them behind. Called
 * on that error path, this frees them, but only once no gradient computation is still running.
 */
export function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const tensor of node.saved ?? []) tensor.dispose();
  state.activeTape = null;
}
