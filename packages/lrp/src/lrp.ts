import * as tf from '@tensorflow/tfjs-core';
import {
  AttribError,
  PluginError,
  assertFinite,
  gradientRule,
  invalidArgument,
  reverseWalk,
  targetOneHot,
  type BackwardRule,
  type Graph,
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
}

export interface Conservation {
  /** Σ output relevance per sample [N] (1 with the one-hot seed). */
  readonly output: tf.Tensor1D;
  /** Σ input relevance per sample [N]. */
  readonly input: tf.Tensor1D;
  /** Σ relevance arriving at each node's output, per sample [N], for every node reached. */
  readonly nodes: Map<string, tf.Tensor1D>;
  /** Per node, what its rule did not hand on to its inputs (biases, stabilizers), per sample [N]. */
  readonly absorbed: Map<string, tf.Tensor1D>;
}

export interface LrpResult {
  /** Relevance at the input, the input's shape. */
  readonly attributions: tf.Tensor;
  /** The model's output (logits) for `inputs`. */
  readonly output: tf.Tensor;
  /** Relevance at the output of each node asked for in `nodes`. */
  readonly relevances: Map<string, tf.Tensor>;
  readonly conservation: Conservation;
}

function checkOptions(model: Graph, options: LrpOptions, fn: string): void {
  if (!options || typeof options !== 'object')
    throw invalidArgument(fn, 'options', 'an options object', options);
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
  if (options.nodes !== undefined && options.nodes !== 'all') {
    if (!Array.isArray(options.nodes))
      throw invalidArgument(fn, 'nodes', "a list of node names or 'all'", options.nodes);
    options.nodes.forEach((name) => model.node(name, fn));
  }
}

function resolveRules(
  graph: Graph,
  composite: Composite,
  ledger: ReturnType<typeof relevanceLedger>,
): Map<string, BackwardRule> {
  return new Map(
    graph.nodes.map((node, index) => {
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
 * with respect to the model's parameters.
 */
export function lrp(model: Graph, inputs: tf.Tensor, options: LrpOptions = {}): LrpResult {
  const fn = 'lrp';
  checkOptions(model, options, fn);
  if (model.inputs.length !== 1) {
    throw invalidArgument(fn, 'model', 'a graph with one input', `${model.inputs.length} inputs`);
  }
  const [input] = model.normalizeInputs(inputs, fn);
  assertFinite(input, fn, 'inputs');
  const composite = options.composite ?? epsilonPlus();
  const seed = options.seed ?? 'onehot';
  const outputGradient =
    options.outputRelevance ??
    (seed === 'logit'
      ? (output: tf.Tensor) => tf.mul(targetOneHot(output, options.target, fn), output)
      : undefined);
  const canonized = canonize(model, options.canonizers ?? [], fn);
  const ledger = relevanceLedger();
  try {
    const rules = resolveRules(canonized.graph, composite, ledger);
    const keep = options.nodes === 'all' ? 'all' : [...(options.nodes ?? [])];
    const walk = reverseWalk(canonized.graph, input, {
      target: options.target,
      outputGradient,
      rules: (node) => rules.get(node.name),
      keep,
      fn,
    });
    const { arrived, absorbed } = ledger.take();
    const attributions = walk.inputGradients[0];
    const conservation: Conservation = {
      output: arrived.has(canonized.graph.output)
        ? tf.clone(arrived.get(canonized.graph.output)!)
        : tf.zeros([input.shape[0]]),
      input: tf.tidy(() => perSampleSum(attributions)),
      nodes: arrived,
      absorbed,
    };
    return { attributions, output: walk.output, relevances: walk.nodeGradients, conservation };
  } catch (error) {
    ledger.dispose();
    throw error;
  } finally {
    canonized.dispose();
  }
}
