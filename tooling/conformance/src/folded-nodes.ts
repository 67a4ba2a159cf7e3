import { getKind, type Graph } from '@attrib/core';
import type { Fixture } from './fixtures.js';

/** A node of the attrib model that an exported file folded into the node before it (BatchNorm into conv). */
export interface FoldedNode {
  readonly node: string;
  readonly into: string;
}

/**
 * Normalisations of the reference (attrib JSON) model missing from the imported one, each with the node
 * that absorbed it: in the exported file that node's output is the folded node's output. (Other missing
 * names, such as a flatten the exporter named '/Flatten', are only named differently.)
 */
export function foldedNodes(reference: Graph, imported: Graph): FoldedNode[] {
  return reference.nodes
    .filter(
      (n) =>
        getKind(n.module.kind)?.category === 'norm' && !imported.has(n.name) && imported.has(n.inputs[0]),
    )
    .map((n) => ({ node: n.name, into: n.inputs[0] }));
}

/**
 * Whether a case can exist in a file with these nodes folded, and which per-node fields it cannot
 * compare. A case cannot exist when it names a folded node or the node that absorbed it (its tensor is
 * another one there), or when the reference gave the folded node a rule of its own: Captum's LRP puts
 * the epsilon rule on every BatchNorm (FORMAT.md §7.8), a Zennit composite without the
 * SequentialMergeBatchNorm canonizer puts Pass on it (§8). Without that canonizer, the relevance at the
 * absorbing node's output (`nodeRelevanceSums/<conv>`) is taken before the BatchNorm in the reference.
 */
export function foldedNodeConflicts(
  folded: readonly FoldedNode[],
  fixture: Fixture,
): { skip?: string; notCompared: Set<string> } {
  const options = fixture.options ?? {};
  const notCompared = new Set(folded.map((f) => `nodeRelevanceSums/${f.node}`));
  if (folded.length === 0) return { notCompared };
  const named = [
    ...(typeof options.layer === 'string' ? [options.layer] : []),
    ...((options.nameMap as Array<{ layers: string[] }> | undefined) ?? []).flatMap((entry) => entry.layers),
  ];
  for (const { node, into } of folded) {
    if (named.includes(node))
      return { skip: `the file has no node '${node}' (folded into '${into}' by the exporter)`, notCompared };
    if (named.includes(into))
      return { skip: `'${into}' absorbed '${node}' in the file, so its output is '${node}''s`, notCompared };
  }
  const merged = ((options.canonizers as string[] | undefined) ?? []).includes('SequentialMergeBatchNorm');
  const rules = options.layerRules as Record<string, string> | undefined;
  const ruled = folded.find(
    ({ node }) =>
      fixture.method === 'LRP' || (!merged && rules?.[node] !== undefined && rules[node] !== 'gradient'),
  );
  if (ruled)
    return {
      skip: `the reference gives '${ruled.node}' its own rule; the file has it folded into '${ruled.into}'`,
      notCompared,
    };
  if (!merged) folded.forEach(({ into }) => notCompared.add(`nodeRelevanceSums/${into}`));
  return { notCompared };
}
