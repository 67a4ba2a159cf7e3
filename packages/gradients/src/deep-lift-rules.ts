import * as tf from '@tensorflow/tfjs-core';
import {
  UnsupportedKindError,
  kindBehaviour,
  vjp,
  type BackwardRule,
  type Graph,
  type GraphNode,
} from '@attrib/core';

/** Half-batch difference `a(x) − a(b)`, repeated for both halves of the stacked batch [x; b]. */
function stackedDelta(a: tf.Tensor): tf.Tensor {
  const [x, b] = tf.split(a, 2, 0);
  const delta = tf.sub(x, b);
  return tf.concat([delta, delta], 0);
}

/**
 * Half-batch mean `(a(x) + a(b))/2`, repeated for both halves; a tensor not stacked (a constant node's
 * batch of one) is the same for x and b, so it is its own mean.
 */
function stackedMidpoint(a: tf.Tensor, rows: number): tf.Tensor {
  if (a.shape[0] !== rows) return a;
  const [x, b] = tf.split(a, 2, 0);
  const mid = tf.div(tf.add(x, b), 2);
  return tf.concat([mid, mid], 0);
}

/**
 * `numerator / Δin`, or `near` where |Δin| < eps (Captum's `torch.where(abs(delta_in) < eps, …)`).
 * Written with greaterEqual (tfjs has no gradient for Less) and a denominator of 1 where Δin is small,
 * so a `tf.grad` through DeepLift neither throws nor meets the ∞ · 0 of the branch not taken.
 */
function divideUnlessSmall(
  numerator: tf.Tensor,
  deltaIn: tf.Tensor,
  eps: number,
  near: tf.Tensor,
): tf.Tensor {
  const large = tf.greaterEqual(tf.abs(deltaIn), eps);
  const safe = tf.where(large, deltaIn, tf.onesLike(deltaIn));
  return tf.where(large, tf.div(numerator, safe), near);
}

function localGradient(node: GraphNode, inputs: readonly tf.Tensor[], gradOutput: tf.Tensor): tf.Tensor {
  return vjp((xs) => node.module.forward(xs), inputs, gradOutput)[0];
}

/**
 * Captum's DeepLift rules for a reverse walk over the stacked batch [x; b], picked by what each kind
 * declares (`KindBehaviour.map`, or its own `rules.deepLift`): the plain gradient for affine maps,
 * rescale for elementwise nonlinearities, Captum's max-pool rule for window maxima, the midpoint rule
 * for bilinear products, nothing back to an embedding's ids; any other kind is an
 * `UnsupportedKindError` naming it and `fn`. Built per call: the rules share state the way Captum's
 * hooks do.
 *
 * Captum hooks the tensor between an activation and a max-pool twice: the activation records its
 * arriving gradient before the pool's hook rewrites it. So an activation whose only reader is a
 * max-pool takes its multiplier's gradient from the pool's *plain* backward, and the rewritten one
 * only where |Δin| < eps (FORMAT §7.4, consequence 1).
 */
export function deepLiftRules(
  graph: Graph,
  eps: number,
  fn = 'deepLift',
): (node: GraphNode) => BackwardRule | undefined {
  const plainBeforePool = new Map<string, tf.Tensor>();
  const feedsOnlyPool = (name: string) => {
    if (graph.isInput(name) || ruleFor(graph.node(name)) !== rescale) return false;
    const readers = graph.consumers(name);
    return readers.length === 1 && ruleFor(readers[0]) === maxPool && readers[0].inputs.length === 1;
  };

  const rescale: BackwardRule = {
    name: 'deep-lift-rescale',
    backward: ({ node, inputs, output, gradOutput }) => {
      const deltaIn = stackedDelta(inputs[0]);
      const recorded = plainBeforePool.get(node.name) ?? gradOutput;
      const multiplied = tf.mul(recorded, stackedDelta(output));
      return [divideUnlessSmall(multiplied, deltaIn, eps, localGradient(node, inputs, gradOutput))];
    },
  };

  const maxPool: BackwardRule = {
    name: 'deep-lift-maxpool',
    backward: ({ node, inputs, output, gradOutput }) => {
      const [o, ob] = tf.split(output, 2, 0);
      const cross = tf.maximum(o, ob);
      const deltaOut = tf.concat([tf.sub(cross, ob), tf.sub(o, cross)], 0);
      // Scattering to each half's argmax is the pool's own backward (the windows do not overlap here).
      const [fromX, fromB] = tf.split(localGradient(node, inputs, tf.mul(gradOutput, deltaOut)), 2, 0);
      const summed = tf.add(fromX, fromB);
      const deltaIn = stackedDelta(inputs[0]);
      const plain = localGradient(node, inputs, gradOutput);
      // Captum's `grad_input[0]` indexes the gradient tensor: the first sample's plain gradient, broadcast.
      const firstSample = tf.broadcastTo(tf.slice(plain, 0, 1), plain.shape);
      if (feedsOnlyPool(node.inputs[0])) plainBeforePool.set(node.inputs[0], plain);
      return [divideUnlessSmall(tf.concat([summed, summed], 0), deltaIn, eps, firstSample)];
    },
  };

  // f(a, c) − f(a', c') = f(Δa, c̄) + f(ā, Δc) for f linear in each input: the gradient at the midpoint
  // (ā, c̄) is each input's exact multiplier, so the inputs' contributions sum to Δy.
  const bilinear: BackwardRule = {
    name: 'deep-lift-bilinear',
    backward: ({ node, inputs, output, gradOutput }) =>
      vjp(
        (xs) => node.module.forward(xs),
        inputs.map((a) => stackedMidpoint(a, output.shape[0])),
        gradOutput,
      ),
  };

  const lookup: BackwardRule = { name: 'deep-lift-lookup', backward: ({ inputs }) => inputs.map(() => null) };

  function ruleFor(node: GraphNode): BackwardRule | undefined {
    const behaviour = kindBehaviour(node.module, fn, node.name);
    if (behaviour.rules?.deepLift) return behaviour.rules.deepLift;
    switch (behaviour.map) {
      case 'affine':
        return undefined;
      case 'elementwise':
        return rescale;
      case 'max':
        return maxPool;
      case 'bilinear':
        return bilinear;
      case 'lookup':
        return lookup;
      default:
        throw new UnsupportedKindError(
          node.module.kind,
          fn,
          node.name,
          `whose map is '${behaviour.map}', for which DeepLift has no rule (declare behaviour.rules.deepLift)`,
        );
    }
  }
  return ruleFor;
}
