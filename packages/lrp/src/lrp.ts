import * as tf from '@tensorflow/tfjs-core';
import {
  AttribError,
  PluginError,
  checkFiniteTensor,
  checkOptions,
  gradientRule,
  guardEngine,
  invalidArgument,
  ownResult,
  resolveInputs,
  reverseWalk,
  targetOneHot,
  type AttributionInputs,
  type BackwardRule,
  type Disposable,
  type Graph,
  type PerInput,
  type Target,
} from '@attrib/core';
import { canonize, type Canonizer } from './canonizer.js';
import { kindDefaultRule, type Composite } from './composite.js';
import { epsilonPlus } from './presets.js';
import { perSampleSum, relevanceLedger } from './relevance-ledger.js';

/**
 * How the output is seeded. `'onehot'` (default, Zennit): relevance 1 at the target, so every
 * sample's explanation sums to ≈1 and heatmaps compare across samples and classes, whatever the
 * logit's sign. `'logit'` (Captum): one-hot times the target logit, so Σ attributions ≈ f(x)[t];
 * the rules are linear in the seed, so it is the same map rescaled per sample (and sign-flipped
 * where the logit is negative).
 */
export type OutputSeed = 'onehot' | 'logit';

export interface LrpOptions {
  /** Picks each node's rule (default `epsilonPlus()`). */
  readonly composite?: Composite;
  /** Graph transforms applied first (e.g. `resnetCanonizers()`); the model itself is never changed. */
  readonly canonizers?: readonly Canonizer[];
  /** Which output to explain; required when the output has more than one column. */
  readonly target?: Target;
  /** Or the output relevance itself: a tensor of the output's shape, or a function of the output. */
  readonly outputRelevance?: tf.Tensor | ((output: tf.Tensor) => tf.Tensor);
  /** Nodes whose relevance (at their output) to return; default none. */
  readonly nodes?: readonly string[] | 'all';
  readonly seed?: OutputSeed;
  /**
   * Graph inputs that are not explained (masks, a second sentence's ids): a record by input name, or a
   * tensor / list for the last graph inputs. They get no relevance of their own.
   */
  readonly additionalInputs?: AttributionInputs;
}

const lrpKeys = ['composite', 'canonizers', 'target', 'outputRelevance', 'nodes', 'seed', 'additionalInputs'];

export interface Conservation {
  /** Σ output relevance per sample [N] (1 with the one-hot seed). */
  readonly output: tf.Tensor1D;
  /** Σ input relevance per sample [N], over every explained input. */
  readonly input: tf.Tensor1D;
  /** Σ relevance arriving at each node's output, per sample [N], for every node reached. */
  readonly nodes: Map<string, tf.Tensor1D>;
  /** Per node, what its rule did not hand on to its inputs (biases, stabilizers), per sample [N]. */
  readonly absorbed: Map<string, tf.Tensor1D>;
}

export interface LrpResult<A = tf.Tensor> extends Disposable {
  /** Relevance at each explained input, in the structure of `inputs` (one tensor for one input). */
  readonly attributions: A;
  /** The model's output (logits) for `inputs`. */
  readonly output: tf.Tensor;
  /** Relevance at the output of each node asked for in `nodes`. */
  readonly relevances: Map<string, tf.Tensor>;
  readonly conservation: Conservation;
}

function checkLrpOptions(model: Graph, options: LrpOptions, fn: string): void {
  if (options.composite !== undefined && typeof options.composite !== 'function') {
    throw invalidArgument(
      fn,
      'composite',
      'a function (node, context) => rule | undefined',
      options.composite,
    );
  }
  if (options.seed !== undefined && options.seed !== 'onehot' && options.seed !== 'logit') {
    throw invalidArgument(fn, 'seed', "'onehot' or 'logit'", options.seed);
  }
  if (options.outputRelevance !== undefined && (options.target !== undefined || options.seed !== undefined)) {
    throw invalidArgument(
      fn,
      'outputRelevance',
      'given without target or seed (it replaces both)',
      'all of them',
    );
  }
  const relevance = options.outputRelevance;
  if (relevance !== undefined && typeof relevance !== 'function') {
    if (!(relevance instanceof tf.Tensor))
      throw invalidArgument(fn, 'outputRelevance', 'a tensor of the output shape or a function', relevance);
    if (relevance.isDisposed)
      throw invalidArgument(fn, 'outputRelevance', 'a live tensor', 'a disposed tensor', 'disposed-tensor');
    checkFiniteTensor(relevance, fn, 'outputRelevance');
  }
  if (options.canonizers !== undefined && !Array.isArray(options.canonizers))
    throw invalidArgument(fn, 'canonizers', 'a list of canonizers', options.canonizers);
  if (options.nodes !== undefined && options.nodes !== 'all') {
    if (!Array.isArray(options.nodes))
      throw invalidArgument(fn, 'nodes', "a list of node names or 'all'", options.nodes);
    options.nodes.forEach((name) => model.node(name, fn));
  }
}

/**
 * Relevance stops at integer graph inputs (token ids): a node that reads only those (an embedding)
 * keeps what arrives at its output, readable there with `nodes`; ids have no gradient to hand it on.
 */
const stopAtIds: BackwardRule = {
  name: 'stop at integer ids',
  backward: ({ inputs }) => inputs.map(() => null),
};

function resolveRules(
  graph: Graph,
  composite: Composite,
  ledger: ReturnType<typeof relevanceLedger>,
  integerInputs: ReadonlySet<string>,
): Map<string, BackwardRule> {
  return new Map(
    graph.nodes.map((node, index) => {
      if (node.inputs.length > 0 && node.inputs.every((name) => integerInputs.has(name)))
        return [node.name, ledger.instrument(node, stopAtIds)];
      let rule: BackwardRule | undefined;
      try {
        rule = composite(node, { graph, index });
      } catch (error) {
        if (AttribError.isInstance(error)) throw error;
        throw new PluginError('composite', 'select', node.name, error);
      }
      if (rule !== undefined && (typeof rule !== 'object' || typeof rule.backward !== 'function')) {
        throw invalidArgument(
          'lrp',
          'composite',
          `a rule ({ name, backward }) or undefined for node '${node.name}'`,
          rule,
        );
      }
      return [node.name, ledger.instrument(node, rule ?? kindDefaultRule(node, 'lrp') ?? gradientRule)];
    }),
  );
}

/**
 * Layer-wise relevance propagation: one forward pass, then one reverse walk in which every node
 * hands relevance to its inputs by the rule its composite picks (plain gradient where none).
 * Synchronous on purpose: `tf.grad` can wrap a whole call, giving the gradient of an explanation
 * with respect to the model's parameters. Several inputs: relevance comes back for each explained
 * input, in the structure of `inputs`; integer inputs (token ids) are accepted, and their relevance is
 * read at the embedding's output with `nodes`.
 */
export function lrp<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  options: LrpOptions = {},
): LrpResult<PerInput<I>> {
  const fn = 'lrp';
  const o = checkOptions(fn, options, lrpKeys);
  checkLrpOptions(model, o, fn);
  return guardEngine(() => {
    const resolved = resolveInputs(model, inputs, { fn, additionalInputs: o.additionalInputs });
    const composite = o.composite ?? epsilonPlus();
    const seed = o.seed ?? 'onehot';
    const outputGradient =
      o.outputRelevance ??
      (seed === 'logit'
        ? (output: tf.Tensor) => tf.mul(targetOneHot(output, o.target, fn), output)
        : undefined);
    const canonized = canonize(model, o.canonizers ?? [], fn);
    const ledger = relevanceLedger();
    try {
      const xs = resolved.assemble(resolved.explained);
      const integerInputs = new Set(
        model.inputs.filter((_, k) => xs[k].dtype !== 'float32').map((i) => i.name),
      );
      const rules = resolveRules(canonized.graph, composite, ledger, integerInputs);
      const keep = o.nodes === 'all' ? 'all' : [...(o.nodes ?? [])];
      const walk = reverseWalk(canonized.graph, xs, {
        target: o.target,
        outputGradient,
        rules: (node) => rules.get(node.name),
        keep,
        fn,
      });
      const { arrived, absorbed } = ledger.take();
      const positions = resolved.names.map((name) => model.inputs.findIndex((i) => i.name === name));
      // Integer inputs get float zeros: their relevance is the embedding's (see `stopAtIds`).
      const attributions = positions.map((k) =>
        xs[k].dtype === 'float32' ? walk.inputGradients[k] : tf.zeros(xs[k].shape),
      );
      tf.dispose(walk.inputGradients.filter((_, k) => !positions.includes(k) || xs[k].dtype !== 'float32'));
      const conservation: Conservation = {
        output: arrived.has(canonized.graph.output)
          ? tf.clone(arrived.get(canonized.graph.output)!)
          : tf.zeros([resolved.batch]),
        input: tf.tidy(() => attributions.map(perSampleSum).reduce((a, b) => tf.add(a, b)) as tf.Tensor1D),
        nodes: arrived,
        absorbed,
      };
      return ownResult({
        attributions: resolved.restore(attributions),
        output: walk.output,
        relevances: walk.nodeGradients,
        conservation,
      });
    } catch (error) {
      ledger.dispose();
      throw error;
    } finally {
      canonized.dispose();
      resolved.dispose();
    }
  });
}
