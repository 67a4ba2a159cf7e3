import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  readonly inputs: Readonly<Record<string, tf.Tensor>>;
  readonly outputs: readonly tf.Tensor[];
}

interface TapeState {
  gradientDepth: number;
  activeTape: TapeNode[] | null;
}

/**
 * Puts each tape node after the nodes that produce its inputs, from position `from` on.
 *
 * When a kernel's gradient needs the kernel's own output (Tanh, Sigmoid, Exp, Elu, Softmax,
 * LogSoftmax, Pow, Max, Min, MaxPool), tfjs saves a clone of that output and records the clone's
 * Identity node on the tape *before* the kernel's node. tfjs's tape filter scans forward in tape
 * order, so it never sees that the clone depends on the kernel's input, and a second-order gradient
 * through the kernel's backward silently drops that path (d/dW of an input gradient through tanh was
 * off by a factor of three). Moving each such node after its producer restores the dependency; the
 * order of everything else is unchanged. Only a tape that an outer `tf.grad` is still recording is
 * touched.
 */
export function orderTapeAfter(from: number): void {
  const state = (tf.engine() as unknown as { state: TapeState }).state;
  const tape = state.activeTape;
  if (state.gradientDepth === 0 || !tape) return;
  const producer = new Map<number, TapeNode>();
  for (let i = from; i < tape.length; i++) for (const out of tape[i].outputs) producer.set(out.id, tape[i]);
  let i = from;
  while (i < tape.length) {
    const node = tape[i];
    let last = -1;
    for (const input of Object.values(node.inputs)) {
      const source = producer.get(input.id);
      if (source) last = Math.max(last, tape.indexOf(source, i + 1));
    }
    if (last > i) {
      tape.splice(i, 1);
      tape.splice(last, 0, node);
    } else {
      i++;
    }
  }
}

/** The current length of the tape an outer `tf.grad` is recording (0 when none is). */
export function tapeLength(): number {
  const state = (tf.engine() as unknown as { state: TapeState }).state;
  return state.gradientDepth > 0 && state.activeTape ? state.activeTape.length : 0;
}
