import * as tf from '@tensorflow/tfjs-core';
import { vjp, type BackwardRule, type RuleContext } from '@attrib/core';
import { linearInputVjp } from './linear-vjp.js';

/** Rewrites one parameter for a modified forward pass (`name` is e.g. 'weight' or 'bias'). */
export type ParamModifier = (param: tf.Tensor, name: string) => tf.Tensor;

/** One modified forward pass of a layer: what it reads, with which parameters, what it returns. */
export interface RulePass {
  /** Applied to every input of the node; default: unchanged. */
  readonly input?: (x: tf.Tensor, context: RuleContext) => tf.Tensor;
  /** Applied to every parameter of the node's module; default: unchanged. */
  readonly param?: ParamModifier;
  /** Parameters set to zero in this pass (after `param`), e.g. `['bias']`. */
  readonly zero?: readonly string[];
  /** Applied to the pass's output; default: unchanged. */
  readonly output?: (y: tf.Tensor) => tf.Tensor;
}

/**
 * Zennit's BasicHook as a config object: forward passes with modified inputs / parameters / outputs,
 * a gradient mapper that turns the arriving relevance into one pull-back seed per pass, and a reducer
 * that combines each pass's (modified input, VJP) into the relevance of one node input.
 */
export interface BasicRuleConfig {
  readonly name: string;
  readonly passes: readonly RulePass[];
  /** One seed per pass (`null`: that pass is only read, e.g. for a sign mask, and never pulled back). */
  readonly gradientMapper: (
    gradOutput: tf.Tensor,
    outputs: readonly tf.Tensor[],
    context: RuleContext,
  ) => readonly (tf.Tensor | null)[];
  /** Relevance of one node input from the per-pass modified inputs and VJPs (null for unseeded passes). */
  readonly reducer: (
    inputs: readonly tf.Tensor[],
    gradients: readonly (tf.Tensor | null)[],
    context: RuleContext,
  ) => tf.Tensor;
}

function modifiedParams(context: RuleContext, pass: RulePass): Record<string, tf.Tensor> | undefined {
  if (!pass.param && !pass.zero?.length) return undefined;
  const params: Record<string, tf.Tensor> = {};
  for (const [name, value] of Object.entries(context.node.module.params)) {
    // Zeroing (rather than removing) keeps the pass valid for parameters a kind cannot do without.
    params[name] = pass.zero?.includes(name)
      ? tf.zerosLike(value)
      : pass.param
        ? pass.param(value, name)
        : value;
  }
  return params;
}

/**
 * A `BackwardRule` from a `BasicRuleConfig`. Every VJP is a plain `tf.grads` of the module's own
 * forward with overridden parameters, so the result stays differentiable with respect to the
 * original parameters, and errors surface through `reverseWalk` stamped with rule and node.
 */
export function basicRule(config: BasicRuleConfig): BackwardRule {
  return {
    name: config.name,
    backward(context) {
      const { node, inputs, gradOutput } = context;
      const passes = config.passes.map((pass) => {
        const xs = inputs.map((x) => (pass.input ? pass.input(x, context) : x));
        const params = modifiedParams(context, pass);
        const f = (ins: readonly tf.Tensor[]) => {
          const y = node.module.forward(ins, params);
          return pass.output ? pass.output(y) : y;
        };
        return { xs, f, params, output: f(xs), modifiedOutput: Boolean(pass.output) };
      });
      const seeds = config.gradientMapper(
        gradOutput,
        passes.map((p) => p.output),
        context,
      );
      const pullBack = (p: (typeof passes)[number], seed: tf.Tensor) =>
        (!p.modifiedOutput && linearInputVjp(node.module, p.params, p.xs, seed)) || vjp(p.f, p.xs, seed);
      const grads = passes.map((p, i) => (seeds[i] ? pullBack(p, seeds[i]!) : null));
      return inputs.map((_, k) =>
        config.reducer(
          passes.map((p) => p.xs[k]),
          grads.map((g) => (g ? g[k] : null)),
          context,
        ),
      );
    },
  };
}
