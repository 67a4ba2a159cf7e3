import {
  UnsupportedKindError,
  getKind,
  invalidArgument,
  kindBehaviour,
  type BackwardRule,
  type Graph,
  type GraphNode,
  type KindCategory,
  type LrpFamily,
} from '@attrib/core';

/** What a composite knows besides the node: the graph being explained and the node's position. */
export interface CompositeContext {
  readonly graph: Graph;
  /** Position of the node in execution (topological) order. */
  readonly index: number;
}

/** Picks each node's rule; `undefined` means the node's plain gradient. */
export type Composite = (node: GraphNode, context: CompositeContext) => BackwardRule | undefined;

/** Which nodes an entry applies to: a kind name (`'conv2d'`) or a predicate. */
export type NodeMatcher = string | ((node: GraphNode, context: CompositeContext) => boolean);

/** Matches nodes whose kind belongs to one of `categories` (linear, activation, pool, norm, merge, shape). */
export function category(...categories: KindCategory[]): NodeMatcher {
  return (node) => categories.includes(getKind(node.module.kind)?.category ?? 'other');
}

/**
 * Matches nodes whose kind declares one of these LRP families (`KindBehaviour.lrp`): what the presets
 * map, so a kind added by a plugin is treated by what it declares, never by its name.
 */
export function family(...families: LrpFamily[]): NodeMatcher {
  return (node) => {
    const declared = getKind(node.module.kind)?.behaviour?.lrp;
    return declared !== undefined && families.includes(declared);
  };
}

/** Matches nodes whose kind declares itself ReLU-like (`KindBehaviour.relu`). */
export const reluLike: NodeMatcher = (node) => getKind(node.module.kind)?.behaviour?.relu === true;

/**
 * The rule of a node its composite gave none: the kind's own `rules.lrp`, else the plain gradient for a
 * kind that declares an LRP family; an `UnsupportedKindError` naming `fn` for any other kind (no
 * behaviour, or none LRP knows), so relevance never flows through it by a silent plain gradient.
 */
export function kindDefaultRule(node: GraphNode, fn: string): BackwardRule | undefined {
  const behaviour = kindBehaviour(node.module, fn, node.name);
  if (behaviour.rules?.lrp) return behaviour.rules.lrp;
  if (behaviour.lrp) return undefined;
  throw new UnsupportedKindError(
    node.module.kind,
    fn,
    node.name,
    'which declares no LRP family, and the composite gave it no rule (give it one; gradientRule for the plain gradient)',
  );
}

/** Matches nodes of any of these kinds. */
export function kinds(...names: string[]): NodeMatcher {
  return (node) => names.includes(node.module.kind);
}

export function matches(matcher: NodeMatcher, node: GraphNode, context: CompositeContext): boolean {
  return typeof matcher === 'string' ? node.module.kind === matcher : matcher(node, context);
}

/** The first entry whose matcher accepts the node gives its rule. */
export function layerMap(entries: ReadonlyArray<readonly [NodeMatcher, BackwardRule]>): Composite {
  if (!Array.isArray(entries))
    throw invalidArgument('layerMap', 'entries', 'a list of [matcher, rule] pairs', entries);
  return (node, context) => entries.find(([matcher]) => matches(matcher, node, context))?.[1];
}

/**
 * Rules by node name: `{ conv1: zBox(...) }` or `[{ nodes: ['fc1', 'fc2'], rule }]`. Every name must
 * exist in the graph explained (checked on first use with each graph, so a typo fails loudly).
 */
export function nameMap(
  map:
    | Readonly<Record<string, BackwardRule>>
    | ReadonlyArray<{ readonly nodes: readonly string[]; readonly rule: BackwardRule }>,
): Composite {
  const byName = new Map<string, BackwardRule>();
  if (Array.isArray(map))
    for (const entry of map) for (const name of entry.nodes) byName.set(name, entry.rule);
  else if (map && typeof map === 'object')
    for (const [name, rule] of Object.entries(map)) byName.set(name, rule as BackwardRule);
  else
    throw invalidArgument('nameMap', 'map', 'a record of node name → rule or a list of { nodes, rule }', map);
  const checked = new WeakSet<Graph>();
  return (node, context) => {
    if (!checked.has(context.graph)) {
      for (const name of byName.keys()) context.graph.node(name, 'nameMap');
      checked.add(context.graph);
    }
    return byName.get(node.name);
  };
}

/** `rule` for the first node (in execution order) that `matcher` accepts; nothing for the others. */
export function firstLayer(matcher: NodeMatcher, rule: BackwardRule): Composite {
  const firstIndex = new WeakMap<Graph, number>();
  return (node, context) => {
    let first = firstIndex.get(context.graph);
    if (first === undefined) {
      first = context.graph.nodes.findIndex((n, index) =>
        matches(matcher, n, { graph: context.graph, index }),
      );
      firstIndex.set(context.graph, first);
    }
    return context.index === first ? rule : undefined;
  };
}

/** Asks each composite in turn; the first one that gives a rule wins. */
export function mixed(...composites: Composite[]): Composite {
  composites.forEach((c, i) => {
    if (typeof c !== 'function')
      throw invalidArgument('mixed', `composites[${i}]`, 'a composite function', c);
  });
  return (node, context) => {
    for (const composite of composites) {
      const rule = composite(node, context);
      if (rule) return rule;
    }
    return undefined;
  };
}
