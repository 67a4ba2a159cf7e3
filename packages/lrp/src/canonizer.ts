import * as tf from '@tensorflow/tfjs-core';
import { AttribError, PluginError, invalidArgument, type Graph } from '@attrib/core';

/**
 * A pure graph transform that puts a model into a form the rules explain well (a BatchNorm merged
 * into the layer before it, a residual add made explicit). It never mutates the graph it is given:
 * it returns a new one (`graph.derive`), whose new parameters are tf functions of the old ones.
 */
export interface Canonizer {
  readonly name: string;
  apply(graph: Graph): Graph;
}

/** A canonized graph and a `dispose` that frees the parameters the canonizers made (not the originals). */
export interface Canonized {
  readonly graph: Graph;
  dispose(): void;
}

function parameterTensors(graph: Graph): Set<tf.Tensor> {
  return new Set(graph.nodes.flatMap((n) => Object.values(n.module.params)));
}

/**
 * Applies canonizers in order. Errors inside a canonizer are stamped with its name; whatever it made
 * before failing is freed.
 */
export function canonize(graph: Graph, canonizers: readonly Canonizer[], fn = 'canonize'): Canonized {
  if (!Array.isArray(canonizers)) throw invalidArgument(fn, 'canonizers', 'a list of canonizers', canonizers);
  canonizers.forEach((c, i) => {
    if (!c || typeof c.apply !== 'function')
      throw invalidArgument(fn, `canonizers[${i}]`, 'a canonizer ({ name, apply(graph) })', c);
  });
  const original = parameterTensors(graph);
  // Everything any step made, including parameters a later step replaced again.
  const owned = new Set<tf.Tensor>();
  const collect = (g: Graph) => parameterTensors(g).forEach((t) => original.has(t) || owned.add(t));
  let current = graph;
  for (const canonizer of canonizers) {
    try {
      current = canonizer.apply(current);
    } catch (error) {
      tf.dispose([...owned]);
      if (AttribError.isInstance(error)) throw error;
      throw new PluginError(`canonizer '${canonizer.name}'`, 'apply', undefined, error);
    }
    collect(current);
  }
  return { graph: current, dispose: () => tf.dispose([...owned]) };
}
