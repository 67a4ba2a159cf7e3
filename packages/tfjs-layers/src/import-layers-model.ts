import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  createModule,
  Graph,
  invalidArgument,
  ModelImportError,
  type GraphInput,
  type GraphNode,
} from '@attrib/core';
import { activationWriters } from './activations.js';
import { Emitter, malformed, type LayerCall } from './emit.js';
import { containerClasses, layerMappings } from './layers.js';

/** A layer entry of a Keras model config (model.json `model_config.config.layers[i]`). */
export interface LayerConfig {
  readonly name?: string;
  readonly class_name: string;
  readonly config: Record<string, unknown>;
  /** One entry per call; each call lists `[layer, nodeIndex, tensorIndex, kwargs]` per input. */
  readonly inbound_nodes?: readonly (readonly (readonly [string, number, number, unknown?])[])[];
}

export interface ImportLayersOptions {
  /**
   * Merge a `ZeroPadding2D` into the convolution (Conv2D, DepthwiseConv2D) that is its only reader and
   * pads 'valid': one conv node with explicit padding, so that the conv's input is the tensor entering
   * the padding (what a model written as one padded conv means). The padding layer then has no node.
   * Default false: every Keras layer keeps its node.
   */
  readonly foldZeroPadding?: boolean;
}

const fn = 'importLayersModel';

/** Every layer class in `topology` (nested models included) that this importer cannot map, at once. */
export function refuseUnsupportedLayers(topology: LayerConfig, where: string): void {
  const problems: string[] = [];
  const visit = (layer: LayerConfig, prefix: string) => {
    const name = `${prefix}${layerName(layer)}`;
    if (containerClasses.has(layer.class_name)) {
      for (const inner of (layer.config.layers as LayerConfig[] | undefined) ?? []) visit(inner, `${name}/`);
      return;
    }
    if (layer.class_name === 'InputLayer') return;
    const mapping = layerMappings[layer.class_name];
    const why = mapping ? mapping.refuse?.(layer.config) : `class ${layer.class_name}`;
    if (why) problems.push(`'${name}' (${layer.class_name}): ${why}`);
  };
  for (const layer of (topology.config.layers as LayerConfig[] | undefined) ?? []) visit(layer, '');
  if (problems.length > 0) {
    throw new ModelImportError(
      'unsupported-op',
      `${where}: ${problems.length} layer(s) cannot be imported: ${problems.join('; ')}. Supported classes: ${supportedLayerClasses().join(', ')}.`,
    );
  }
}

/** The Keras layer classes the importer maps (containers and InputLayer included). */
export function supportedLayerClasses(): string[] {
  return [...Object.keys(layerMappings), 'InputLayer', ...containerClasses].sort();
}

function layerName(layer: LayerConfig): string {
  return layer.name ?? (layer.config.name as string);
}

function isLayersModel(value: unknown): value is tfl.LayersModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as tfl.LayersModel).toJSON === 'function' &&
    typeof (value as tfl.LayersModel).getLayer === 'function' &&
    Array.isArray((value as tfl.LayersModel).layers)
  );
}

/**
 * Builds a `Graph` from a live `tf.LayersModel` (Sequential or functional, nested models inlined). Each
 * Keras layer call becomes the node named after the layer; see the package README for the naming rules.
 * The graph holds copies of the weights: disposing the LayersModel afterwards is safe.
 */
export function importLayersModel(model: tfl.LayersModel, options: ImportLayersOptions = {}): Graph {
  if (!isLayersModel(model)) {
    if ((model as unknown) instanceof Graph)
      throw invalidArgument(fn, 'model', 'a tf.LayersModel (this is already an Attrib Graph)', model);
    throw invalidArgument(
      fn,
      'model',
      'a tf.LayersModel (from tf.sequential, tf.model or tf.loadLayersModel)',
      model,
    );
  }
  const topology = model.toJSON(null, false) as unknown as LayerConfig;
  refuseUnsupportedLayers(topology, fn);
  const emit = new Emitter();
  const graphInputs: GraphInput[] = [];
  const created: tf.Tensor[] = [];
  try {
    const outputs = inlineContainer(model, topology, '', null, { emit, graphInputs, created });
    if (outputs.length !== 1) {
      throw new ModelImportError(
        'unsupported-op',
        `${fn}: the model has ${outputs.length} outputs; an Attrib graph has one (wrap the model so it returns one tensor)`,
      );
    }
    const nodes = options.foldZeroPadding ? foldZeroPadding(emit.nodes, outputs[0]) : emit.nodes;
    return new Graph({ inputs: graphInputs, nodes, output: outputs[0] });
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

interface Context {
  readonly emit: Emitter;
  readonly graphInputs: GraphInput[];
  /** Every weight copy made so far, disposed if the import fails. */
  readonly created: tf.Tensor[];
}

/** Copies the weights of a live layer by their last name part (`Conv1/kernel` → `kernel`). */
function weightReader(layer: tfl.layers.Layer, created: tf.Tensor[]): (key: string) => tf.Tensor | null {
  return (key) => {
    const variable = layer.weights.find((w) => w.originalName.split('/').pop()?.replace(/:\d+$/, '') === key);
    if (!variable) return null;
    const copy = tf.clone(variable.read());
    created.push(copy);
    return copy;
  };
}

function liveLayer(container: tfl.LayersModel, name: string): tfl.layers.Layer {
  try {
    return container.getLayer(name);
  } catch (error) {
    throw new ModelImportError(
      'malformed-model',
      `${fn}: the model config names a layer '${name}' that the model does not have`,
      { cause: error },
    );
  }
}

function shapesOf(layer: tfl.layers.Layer, index: number): (number | null)[][] {
  const node = layer.inboundNodes[index];
  if (!node) return [];
  const shapes = node.inputShapes as (number | null)[] | (number | null)[][];
  return Array.isArray(shapes[0]) ? (shapes as (number | null)[][]) : [shapes as (number | null)[]];
}

/** Emits one call of a non-container layer, then its fused activation; returns the output node. */
function writeLayer(
  ctx: Context,
  layer: tfl.layers.Layer,
  config: LayerConfig,
  name: string,
  inputs: string[],
  liveIndex: number,
): string {
  const mapping = layerMappings[config.class_name];
  const call: LayerCall = {
    name,
    className: config.class_name,
    config: config.config,
    inputs,
    inputShapes: shapesOf(layer, liveIndex),
    weight: weightReader(layer, ctx.created),
  };
  const out = mapping.write(ctx.emit, call);
  const act = config.config.activation;
  if (mapping.fusedActivation && typeof act === 'string' && act !== 'linear')
    return activationWriters[act](ctx.emit, `${name}/activation`, out);
  return out;
}

/**
 * Emits the nodes of `container` (the top-level model, or a nested one called on `inputs`) with node
 * names prefixed by `prefix`; returns its output node names.
 */
function inlineContainer(
  container: tfl.LayersModel,
  config: LayerConfig,
  prefix: string,
  inputs: readonly string[] | null,
  ctx: Context,
): string[] {
  const layers = (config.config.layers as LayerConfig[] | undefined) ?? [];
  if (config.class_name === 'Sequential') return inlineSequential(container, layers, prefix, inputs, ctx);

  // Outputs of every call: `${layer}#${call}` → node names (a nested model may give several).
  const produced = new Map<string, string[]>();
  const byName = new Map(layers.map((l) => [layerName(l), l]));
  const inputLayers = (config.config.input_layers as [string, number, number][] | undefined) ?? [];
  inputLayers.forEach(([name], i) => {
    const nodeName = inputs ? inputs[i] : `${prefix}${name}`;
    if (!inputs) ctx.graphInputs.push(graphInput(nodeName, byName.get(name)));
    produced.set(`${name}#0`, [nodeName]);
  });

  // A reference [layer, nodeIndex, tensorIndex] counts nodeIndex over the LIVE layer's calls, which for a
  // nested model include its own construction call that the config does not list: offset by the difference.
  const resolve = ([name, nodeIndex, tensorIndex]: readonly [string, number, number, unknown?]) => {
    const entry = byName.get(name);
    if (!entry) throw malformed(fn, `a layer reads '${name}', which the model config does not have`);
    const listed = entry.inbound_nodes?.length ?? 0;
    const call = listed <= 1 ? 0 : nodeIndex - (liveLayer(container, name).inboundNodes.length - listed);
    return produced.get(`${name}#${call}`)?.[tensorIndex];
  };

  // Calls in dependency order: a shared layer's later call may read a layer listed after it.
  const pending = layers.flatMap((layer) =>
    (layer.inbound_nodes ?? []).map((refs, call) => ({ layer, refs, call })),
  );
  while (pending.length > 0) {
    const ready = pending.findIndex(({ refs }) => refs.every((ref) => resolve(ref) !== undefined));
    if (ready < 0) {
      const names = pending.map(({ layer }) => `'${prefix}${layerName(layer)}'`).join(', ');
      throw malformed(fn, `layers ${names} read tensors that no layer produces (a cycle or a missing input)`);
    }
    const [{ layer, refs, call }] = pending.splice(ready, 1);
    const name = layerName(layer);
    const nodeName = `${prefix}${name}${call > 0 ? `/call${call}` : ''}`;
    const callInputs = refs.map((ref) => resolve(ref)!);
    const live = liveLayer(container, name);
    const liveIndex = call + (live.inboundNodes.length - (layer.inbound_nodes?.length ?? 0));
    produced.set(`${name}#${call}`, writeCall(ctx, live, layer, nodeName, callInputs, liveIndex));
  }
  const outputLayers = (config.config.output_layers as [string, number, number][] | undefined) ?? [];
  return outputLayers.map((ref) => {
    const out = resolve(ref);
    if (out === undefined) throw malformed(fn, `the model output '${ref[0]}' is not computed`);
    return out;
  });
}

/** One call of a layer, a nested model inlined with an identity node of its own name as its output. */
function writeCall(
  ctx: Context,
  live: tfl.layers.Layer,
  layer: LayerConfig,
  nodeName: string,
  inputs: string[],
  liveIndex: number,
): string[] {
  if (!containerClasses.has(layer.class_name))
    return [writeLayer(ctx, live, layer, nodeName, inputs, liveIndex)];
  const outs = inlineContainer(live as tfl.LayersModel, layer, `${nodeName}/`, inputs, ctx);
  return outs.length === 1 ? [ctx.emit.add(nodeName, 'identity', outs)] : outs;
}

function inlineSequential(
  container: tfl.LayersModel,
  layers: LayerConfig[],
  prefix: string,
  inputs: readonly string[] | null,
  ctx: Context,
): string[] {
  const explicitInput = layers[0]?.class_name === 'InputLayer';
  const body = explicitInput ? layers.slice(1) : layers;
  let current: string;
  if (inputs) {
    current = inputs[0];
  } else {
    // tfjs-layers names the implicit input of a Sequential `<first layer>_input`.
    current = explicitInput ? layerName(layers[0]) : `${layerName(layers[0])}_input`;
    ctx.graphInputs.push(graphInput(current, layers[0]));
  }
  for (const layer of body) {
    const name = layerName(layer);
    const live = liveLayer(container, name);
    // The layer's call inside this Sequential is its last live call made while building it: the first.
    [current] = writeCall(ctx, live, layer, `${prefix}${name}`, [current], 0);
  }
  return [current];
}

function graphInput(name: string, layer: LayerConfig | undefined): GraphInput {
  const shape = layer?.config.batch_input_shape as (number | null)[] | undefined;
  const dtype = layer?.config.dtype === 'int32' ? 'int32' : undefined;
  return { name, ...(shape ? { shape: [null, ...shape.slice(1)] } : {}), ...(dtype ? { dtype } : {}) };
}

/** See `ImportLayersOptions.foldZeroPadding`. */
function foldZeroPadding(nodes: readonly GraphNode[], output: string): GraphNode[] {
  const readers = new Map<string, number>();
  for (const node of nodes)
    for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const folded = new Set<string>();
  const result = nodes.map((node) => {
    const source = byName.get(node.inputs[0]);
    const foldable =
      (node.module.kind === 'conv2d' || node.module.kind === 'depthwiseConv2d') &&
      node.module.config.pad === 'valid' &&
      source?.module.kind === 'pad' &&
      (source.module.config.value ?? 0) === 0 &&
      readers.get(source.name) === 1 &&
      source.name !== output;
    if (!foldable) return node;
    folded.add(source.name);
    const config = { ...node.module.config, pad: source.module.config.pads };
    return {
      name: node.name,
      module: createModule(node.module.kind, node.module.params, config, node.name),
      inputs: source.inputs,
    };
  });
  return result.filter((node) => !folded.has(node.name));
}
