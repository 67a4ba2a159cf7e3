import * as tf from '@tensorflow/tfjs-core';
import type { BackwardRule, GraphNode } from '@attrib/core';

/** Σ over every axis but the batch: one number per sample. */
export function perSampleSum(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.reshape(t, [t.shape[0] ?? 1, -1]), 1) as tf.Tensor1D;
}

/**
 * Books, per node, the relevance that arrived at its output and the part its rule did not hand on
 * (what biases and stabilizers absorbed), as [N] sums. The entries are kept out of the walk's tidy;
 * the ledger owns them until `take` or `dispose`.
 */
export function relevanceLedger() {
  const arrived = new Map<string, tf.Tensor1D>();
  const absorbed = new Map<string, tf.Tensor1D>();
  return {
    instrument(node: GraphNode, rule: BackwardRule): BackwardRule {
      return {
        name: rule.name,
        backward(context) {
          const toInputs = rule.backward(context);
          const inSum = perSampleSum(context.gradOutput);
          const handedOn = toInputs.reduce<tf.Tensor>(
            (acc, r) => (r ? tf.add(acc, perSampleSum(r)) : acc),
            tf.zerosLike(inSum),
          );
          arrived.set(node.name, tf.keep(inSum));
          absorbed.set(node.name, tf.keep(tf.sub(inSum, handedOn) as tf.Tensor1D));
          return toInputs;
        },
      };
    },
    take() {
      return { arrived, absorbed };
    },
    dispose() {
      tf.dispose([...arrived.values(), ...absorbed.values()]);
    },
  };
}
