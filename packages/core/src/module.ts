import type * as tf from '@tensorflow/tfjs-core';
import { GraphError, UnsupportedKindError, invalidArgument } from './errors.js';
import { builtinKindDefinitions } from './kinds.js';
import type { BackwardRule } from './reverse-walk.js';

export type Params = Readonly<Record<string, tf.Tensor>>;
export type Config = Readonly<Record<string, unknown>>;

/**
 * One computation with named parameters. `forward(inputs, params)` runs it; `params` overrides the
 * module's own by name, which is how a rule runs a layer with modified weights.
 */
export interface Module {
  readonly kind: string;
  readonly params: Params;
  readonly config: Config;
  forward(inputs: readonly tf.Tensor[], params?: Readonly<Record<string, tf.Tensor | null>>): tf.Tensor;
}

/**
 * The family a kind belongs to, for people and for composites that match families (lrp's `category`):
 * 'linear' (an affine map of its first input by its own weights), 'activation', 'pool', 'norm',
 * 'merge' (sum or concatenation of its inputs, no weights), 'shape' (moves or copies values only),
 * 'product' (mul, div, matmul of two activations), 'embedding' (integer ids to vectors), 'constant'
 * (a tensor baked into the graph, no inputs), 'other'. Too coarse for the rule-based methods (softmax is
 * an 'activation' but not elementwise; max and average pools differ): they read `KindBehaviour`.
 */
export type KindCategory =
  | 'linear'
  | 'activation'
  | 'pool'
  | 'norm'
  | 'merge'
  | 'shape'
  | 'product'
  | 'embedding'
  | 'constant'
  | 'other';

/** The rule-based methods, each of which asks a node's kind how to treat it. */
export type RuleMethod = (typeof ruleMethods)[number];
const ruleMethods = ['deepLift', 'guidedBackprop', 'deconvolution', 'lrp'] as const;

/**
 * How a kind's output depends on its inputs, which is what picks DeepLift's rule:
 * - `'affine'`: affine in its inputs taken together (dense, conv, batchnorm at inference, average
 *   pools, add, concat, reshape, slice, pad, identity, a constant). The plain gradient is DeepLift's
 *   linear rule, exactly.
 * - `'elementwise'`: `y_i = f(x_i)` with `f` nonlinear (relu, sigmoid, gelu, ...): DeepLift's rescale rule.
 * - `'max'`: each output the maximum over a window of its input (max pools): Captum's max-pool rule.
 * - `'bilinear'`: two inputs, linear in each (elementwise product, matmul): the gradient at the midpoint
 *   of input and baseline, which splits `Δ(a·b)` exactly between the two inputs.
 * - `'lookup'`: integer ids to vectors (an embedding): nothing flows back to the ids.
 * - `'other'`: none of these (softmax, division, layer norm): DeepLift has no rule and throws, unless
 *   the kind carries `rules.deepLift`.
 */
export type KindMap = (typeof kindMaps)[number];
const kindMaps = ['affine', 'elementwise', 'max', 'bilinear', 'lookup', 'other'] as const;

/**
 * The layer family LRP's presets map to a rule (Zennit's module types): `'dense'` (ε, or z⁺ in
 * excitation backprop; Flat when first), `'convolution'` (the preset's conv rule: z⁺, α2β1, γ, zᴮ when
 * first), `'activation'` (pass), `'batchnorm'` (pass; `mergeBatchNorm` folds it), `'average'` (average
 * pools, sums: the norm rule), `'maxpool'` and `'add'` (plain gradient in Zennit's presets, ε in
 * Captum's), `'gradient'` (values only moved or copied: the plain gradient keeps relevance).
 */
export type LrpFamily = (typeof lrpFamilies)[number];
const lrpFamilies = [
  'dense',
  'convolution',
  'activation',
  'batchnorm',
  'average',
  'maxpool',
  'add',
  'gradient',
] as const;

type NullableParams = Readonly<Record<string, tf.Tensor | null>>;

/** `y = (x − center)·scale + shift` per channel (the last axis); each tensor has one value per channel. */
export interface ChannelAffine {
  readonly center: tf.Tensor;
  readonly scale: tf.Tensor;
  readonly shift: tf.Tensor;
}

/**
 * What the rule-based methods (DeepLift, guided backprop, deconvolution, LRP's composites and
 * canonizers) need to know about a kind besides its forward. The README's table says what each value
 * implies for each method. A kind without it makes every rule-based method throw
 * `UnsupportedKindError`: a rule-based method never falls back to a silent plain gradient.
 */
export interface KindBehaviour {
  readonly map: KindMap;
  /** `y = max(x, 0)` elementwise: guided backprop and deconvolution replace its backward (and no other). */
  readonly relu?: boolean;
  /** The family LRP's presets map; absent: presets and `lrp` throw unless the composite gives a rule. */
  readonly lrp?: LrpFamily;
  /** A per-channel affine map (channels last), which `mergeBatchNorm` folds into the layer before. */
  channelAffine?(params: NullableParams, config: Config): ChannelAffine;
  /**
   * The parameters of this layer followed by a `ChannelAffine` on its output channels (the last output
   * axis), as tf functions of the old ones; lets `mergeBatchNorm` fold a following `channelAffine` kind.
   */
  foldChannelAffine?(
    params: NullableParams,
    config: Config,
    affine: ChannelAffine,
  ): Record<string, tf.Tensor>;
  /**
   * The VJP with respect to its only input, written directly rather than by differentiating the forward
   * (LRP's rules on linear maps use it for speed); `null` where it does not apply.
   */
  inputVjp?(
    dy: tf.Tensor,
    params: NullableParams,
    config: Config,
    inputShape: readonly number[],
  ): tf.Tensor | null;
  /**
   * Rules that replace what `map`, `relu` and `lrp` imply, per method. A DeepLift rule runs on the
   * stacked batch `[x; baseline]` (both halves' multipliers); an LRP rule is used when the composite
   * gives the node none.
   */
  readonly rules?: Readonly<Partial<Record<RuleMethod, BackwardRule>>>;
}

/**
 * A module kind: a plain config object in a registry (the way tfjs registers kernels). Plugins add
 * kinds with `registerKind`.
 */
export interface KindDefinition {
  readonly kind: string;
  readonly category: KindCategory;
  /** How rule-based methods treat it; without it they throw `UnsupportedKindError`. */
  readonly behaviour?: KindBehaviour;
  /** Number of inputs, or 'variadic' (at least one). */
  readonly arity: number | 'variadic';
  /** Names of the tensor parameters this kind reads (optional ones may be null). */
  readonly paramNames: readonly string[];
  forward(
    inputs: readonly tf.Tensor[],
    params: Readonly<Record<string, tf.Tensor | null>>,
    config: Config,
  ): tf.Tensor;
  /** Reads params and config from a JSON node (attrib-model/1); tensors arrive already built. */
  fromJson?(node: Readonly<Record<string, unknown>>): { config: Record<string, unknown> };
  /** Throws (a message naming what is wrong) when parameters and config do not fit together. */
  validate?(params: Readonly<Record<string, tf.Tensor | null>>, config: Config): void;
}

// Seeded with the built-in kinds here rather than by a side-effect import, so no bundler can drop them.
const kindRegistry = new Map<string, KindDefinition>(builtinKindDefinitions.map((d) => [d.kind, d]));

/**
 * Adds a kind to the registry. Replacing a kind already there (a built-in, or another plugin's) changes
 * every graph that uses it, so it takes `{ replace: true }`.
 */
export function registerKind(definition: KindDefinition, options: { readonly replace?: boolean } = {}): void {
  const fn = 'registerKind';
  if (
    !definition ||
    typeof definition !== 'object' ||
    typeof definition.kind !== 'string' ||
    !definition.kind
  )
    throw invalidArgument(fn, 'definition', 'a kind definition with a non-empty `kind` name', definition);
  if (typeof definition.forward !== 'function')
    throw invalidArgument(fn, 'definition.forward', 'a function', definition.forward);
  if (!options || typeof options !== 'object') throw invalidArgument(fn, 'options', 'an object', options);
  if (definition.behaviour !== undefined) checkBehaviour(definition.behaviour, fn);
  if (kindRegistry.has(definition.kind) && options.replace !== true) {
    throw invalidArgument(
      fn,
      'definition.kind',
      'a kind not registered yet (pass { replace: true } to replace one)',
      definition.kind,
    );
  }
  kindRegistry.set(definition.kind, definition);
}

/** A misspelt behaviour would make every rule-based method refuse the kind later; refuse it now, by field. */
function checkBehaviour(behaviour: KindBehaviour, fn: string): void {
  const oneOf = (values: readonly string[]) => `one of ${values.map((v) => `'${v}'`).join(', ')}`;
  if (!behaviour || typeof behaviour !== 'object')
    throw invalidArgument(fn, 'definition.behaviour', 'an object (KindBehaviour)', behaviour);
  if (!(kindMaps as readonly unknown[]).includes(behaviour.map))
    throw invalidArgument(fn, 'definition.behaviour.map', oneOf(kindMaps), behaviour.map);
  if (behaviour.lrp !== undefined && !(lrpFamilies as readonly unknown[]).includes(behaviour.lrp))
    throw invalidArgument(fn, 'definition.behaviour.lrp', `${oneOf(lrpFamilies)} or absent`, behaviour.lrp);
  if (behaviour.relu !== undefined && typeof behaviour.relu !== 'boolean')
    throw invalidArgument(fn, 'definition.behaviour.relu', 'a boolean', behaviour.relu);
  for (const [method, rule] of Object.entries(behaviour.rules ?? {})) {
    if (!(ruleMethods as readonly string[]).includes(method) || typeof rule?.backward !== 'function') {
      throw invalidArgument(
        fn,
        `definition.behaviour.rules.${method}`,
        `a rule ({ name, backward }) for ${oneOf(ruleMethods)}`,
        rule,
      );
    }
  }
}

export function getKind(kind: string): KindDefinition | undefined {
  return kindRegistry.get(kind);
}

/**
 * How `method` is to treat the module's kind: its declared behaviour, or an `UnsupportedKindError`
 * naming the kind, the node and the method when the kind declares none.
 */
export function kindBehaviour(module: Module, method: string, nodeName: string): KindBehaviour {
  const behaviour = kindRegistry.get(module.kind)?.behaviour;
  if (!behaviour) {
    throw new UnsupportedKindError(
      module.kind,
      method,
      nodeName,
      'which declares no behaviour for rule-based methods (KindDefinition.behaviour)',
    );
  }
  return behaviour;
}

export function registeredKinds(): string[] {
  return [...kindRegistry.keys()].sort();
}

/** Makes a module of a registered kind. `nodeName` only serves error messages. */
export function createModule(
  kind: string,
  params: Readonly<Record<string, tf.Tensor | null>> = {},
  config: Config = {},
  nodeName?: string,
): Module {
  const definition = kindRegistry.get(kind);
  const where = nodeName === undefined ? '' : `node '${nodeName}': `;
  if (!definition) {
    throw new GraphError(
      'unknown-op',
      `${where}unknown op '${kind}'; registered kinds are ${registeredKinds().join(', ')}`,
    );
  }
  try {
    definition.validate?.(params, config);
  } catch (error) {
    throw new GraphError('weight-shape', `${where}${(error as Error).message}`, { cause: error });
  }
  const ownParams: Record<string, tf.Tensor> = {};
  for (const [name, value] of Object.entries(params)) if (value) ownParams[name] = value;
  return {
    kind,
    params: ownParams,
    config,
    forward(inputs, override) {
      return definition.forward(inputs, override ? { ...params, ...override } : params, config);
    },
  };
}
