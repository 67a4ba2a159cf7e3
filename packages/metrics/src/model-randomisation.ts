import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkSeed,
  createModule,
  normalTensor,
  seededRandom,
  streamSeed,
  resolveModelInputs,
  type AttributionInputs,
  invalidArgument,
  yieldToEventLoop,
  type Graph,
  type GraphNode,
  type ProgressCallback,
} from '@attrib/core';
import { spearman } from './statistics.js';

/** Explains `inputs` under `model` (the original or a randomised copy); returns attributions [N, ...]. */
export type ModelExplanation<I extends AttributionInputs = tf.Tensor> = (
  model: Graph,
  inputs: I,
) => tf.Tensor | Promise<tf.Tensor>;

export interface ParameterRandomisationOptions<I extends AttributionInputs = tf.Tensor> {
  readonly explain: ModelExplanation<I>;
  /** Nodes to randomise, in the order they are randomised; by default every node with parameters, output side first. */
  readonly layers?: readonly string[];
  /** Cascading (default): layer i is randomised on top of layers 0..i−1; otherwise each alone. */
  readonly cascading?: boolean;
  readonly seed?: number;
  /** Compare |attributions| (default true: the sign of an explanation is often arbitrary). */
  readonly abs?: boolean;
  readonly onProgress?: ProgressCallback;
}

export interface ParameterRandomisationResult {
  /** The randomised layers, in order. */
  readonly layers: string[];
  /** Spearman rank correlation between the original and the randomised model's attributions: [layer][sample]. */
  readonly similarity: number[][];
  /** Mean over samples, per layer. */
  readonly meanSimilarity: number[];
}

const FN = 'modelParameterRandomisation';

/**
 * A copy of `node` with every parameter redrawn from N(0, rms²) of the original, from core's generator
 * with a stream per (layer, parameter): tfjs's own random ops read seed 0 as "no seed".
 */
function randomisedNode(node: GraphNode, seed: number, layer: number, owned: tf.Tensor[]): GraphNode {
  const params: Record<string, tf.Tensor> = {};
  Object.entries(node.module.params).forEach(([name, value], i) => {
    const scale = tf.tidy(() => tf.sqrt(tf.mean(tf.square(value))).dataSync()[0]) || 0.01;
    params[name] = normalTensor(value.shape, scale, seededRandom(streamSeed(seed, layer, i)));
    owned.push(params[name]);
  });
  return {
    name: node.name,
    inputs: node.inputs,
    module: createModule(node.module.kind, params, node.module.config, node.name),
  };
}

function similarities(a: tf.Tensor, b: tf.Tensor, abs: boolean): number[] {
  const rows = a.shape[0];
  const size = a.size / rows;
  const [x, y] = [a.dataSync(), b.dataSync()];
  const magnitude = (v: number) => (abs ? Math.abs(v) : v);
  return Array.from({ length: rows }, (_, i) =>
    spearman(
      Array.from(x.subarray(i * size, (i + 1) * size), magnitude),
      Array.from(y.subarray(i * size, (i + 1) * size), magnitude),
    ),
  );
}

/**
 * Model-parameter randomisation test (Adebayo et al. 2018): randomise the weights layer by layer from
 * the output down and measure how similar the explanation stays. A faithful method's similarity drops.
 * Randomised models are new graphs (`graph.derive`); the original is never touched.
 */
export async function modelParameterRandomisation<I extends AttributionInputs>(
  model: Graph,
  inputs: I,
  rawOptions: ParameterRandomisationOptions<I>,
): Promise<ParameterRandomisationResult> {
  const options = checkOptions(
    FN,
    rawOptions,
    ['explain', 'layers', 'cascading', 'seed', 'abs', 'onProgress'],
    {
      booleans: ['cascading', 'abs'],
    },
  );
  resolveModelInputs(model, inputs, { fn: FN }).dispose();
  if (typeof options?.explain !== 'function')
    throw invalidArgument(FN, 'explain', 'a function (model, inputs) => attributions', options?.explain);
  const layers = options.layers
    ? options.layers.map((name) => model.node(name, FN).name)
    : model.nodes
        .filter((node) => Object.keys(node.module.params).length > 0)
        .map((node) => node.name)
        .reverse();
  if (layers.length === 0)
    throw invalidArgument(FN, 'layers', 'at least one node with parameters', options.layers ?? []);
  const cascading = options.cascading ?? true;
  const abs = options.abs ?? true;
  const seed = checkSeed(FN, options.seed);
  const owned: tf.Tensor[] = [];
  const original = await options.explain(model, inputs);
  try {
    const similarity: number[][] = [];
    let replaced = new Map<string, GraphNode>();
    for (const [index, layer] of layers.entries()) {
      if (!cascading) replaced = new Map();
      replaced.set(layer, randomisedNode(model.node(layer, FN), seed, index, owned));
      const randomised = model.derive({ nodes: model.nodes.map((node) => replaced.get(node.name) ?? node) });
      const explanation = await options.explain(randomised, inputs);
      try {
        if (explanation.shape.join() !== original.shape.join()) {
          throw invalidArgument(
            FN,
            'explain',
            `attributions of one shape for every model ([${original.shape}])`,
            explanation,
          );
        }
        similarity.push(similarities(original, explanation, abs));
      } finally {
        explanation.dispose();
      }
      options.onProgress?.({ done: index + 1, total: layers.length, stage: layer });
      await yieldToEventLoop();
    }
    const meanSimilarity = similarity.map((row) => row.reduce((a, b) => a + b, 0) / row.length);
    return { layers, similarity, meanSimilarity };
  } finally {
    original.dispose();
    tf.dispose(owned);
  }
}
