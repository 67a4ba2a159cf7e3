import type * as tf from '@tensorflow/tfjs-core';
import { GraphError } from './errors.js';
import { builtinKindDefinitions } from './kinds.js';

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
 * How a family of nodes behaves, for rules and canonizers that treat families alike: 'linear' (an affine
 * map of its first input by its own weights), 'activation' (elementwise y_i = f(x_i)), 'pool', 'norm',
 * 'merge' (sum or concatenation of its inputs, no weights), 'shape' (moves or copies values only),
 * 'product' (mul, div, matmul of two activations), 'embedding' (integer ids to vectors), 'constant'
 * (a tensor baked into the graph, no inputs), 'other'.
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

/**
 * A module kind: a plain config object in a registry (the way tfjs registers kernels). Plugins add
 * kinds with `registerKind`.
 */
export interface KindDefinition {
  readonly kind: string;
  readonly category: KindCategory;
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

export function registerKind(definition: KindDefinition): void {
  kindRegistry.set(definition.kind, definition);
}

export function getKind(kind: string): KindDefinition | undefined {
  return kindRegistry.get(kind);
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
