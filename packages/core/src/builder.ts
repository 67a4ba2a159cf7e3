import type * as tf from '@tensorflow/tfjs-core';
import { GraphError } from './errors.js';
import { Graph, type GraphInput, type GraphNode } from './graph.js';
import type { SpatialPad } from './kinds-spatial.js';
import { createModule, getKind, type Module } from './module.js';

type Tensors = Readonly<Record<string, tf.Tensor | null>>;

interface NodeOptions {
  /** Input node names; default: the previous node (or the only graph input). */
  inputs?: readonly string[];
  params?: Tensors;
  config?: Readonly<Record<string, unknown>>;
}

/**
 * Writes models in code, one chained call per node:
 * ```ts
 * const model = new GraphBuilder({ name: 'x', shape: [null, 3] })
 *   .linear('fc1', { weight, bias })
 *   .relu('relu1')
 *   .linear('fc2', { weight: w2 })
 *   .build();
 * ```
 * Each call reads the previous node unless `inputs` says otherwise. `reuse` puts an existing
 * module at a second place (shared weights).
 */
export class GraphBuilder {
  private readonly graphInputs: GraphInput[];
  private readonly nodes: GraphNode[] = [];

  constructor(...inputs: GraphInput[]) {
    if (inputs.length === 0) throw new GraphError('bad-node', 'GraphBuilder needs at least one graph input');
    this.graphInputs = inputs;
  }

  private get last(): string {
    return this.nodes.length > 0 ? this.nodes[this.nodes.length - 1].name : this.graphInputs[0].name;
  }

  /** Adds a node of any registered kind; a kind without inputs (a constant) reads nothing by default. */
  node(name: string, kind: string, options: NodeOptions = {}): this {
    const module = createModule(kind, options.params ?? {}, options.config ?? {}, name);
    return this.module(name, module, options.inputs ?? (getKind(kind)?.arity === 0 ? [] : undefined));
  }

  /** Adds a node that runs an existing module object (shared with other nodes or graphs). */
  module(name: string, module: Module, inputs: readonly string[] = [this.last]): this {
    this.nodes.push({ name, module, inputs });
    return this;
  }

  /** Runs the module of an earlier node again, at a new place (weights shared). */
  reuse(name: string, nodeName: string, inputs?: readonly string[]): this {
    const earlier = this.nodes.find((n) => n.name === nodeName);
    if (!earlier) throw new GraphError('missing-input', `reuse('${name}'): no earlier node '${nodeName}'`);
    return this.module(name, earlier.module, inputs);
  }

  linear(
    name: string,
    params: { weight: tf.Tensor; bias?: tf.Tensor | null },
    inputs?: readonly string[],
  ): this {
    return this.node(name, 'linear', { params, inputs });
  }

  conv2d(
    name: string,
    params: { weight: tf.Tensor; bias?: tf.Tensor | null },
    config: { strides?: number[]; pad?: SpatialPad; dilations?: number[]; groups?: number } = {},
    inputs?: readonly string[],
  ): this {
    return this.node(name, 'conv2d', { params, config, inputs });
  }

  batchnorm(
    name: string,
    params: { mean: tf.Tensor; variance: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor },
    config: { epsilon?: number } = {},
    inputs?: readonly string[],
  ): this {
    return this.node(name, 'batchnorm', { params, config, inputs });
  }

  relu(name: string, inputs?: readonly string[]): this {
    return this.node(name, 'relu', { inputs });
  }

  maxpool2d(
    name: string,
    config: { size: number[]; strides?: number[]; pad?: SpatialPad },
    inputs?: readonly string[],
  ): this {
    return this.node(name, 'maxpool2d', { config, inputs });
  }

  avgpool2d(
    name: string,
    config: { size: number[]; strides?: number[]; pad?: SpatialPad; countIncludePad?: boolean },
    inputs?: readonly string[],
  ): this {
    return this.node(name, 'avgpool2d', { config, inputs });
  }

  flatten(name: string, inputs?: readonly string[]): this {
    return this.node(name, 'flatten', { inputs });
  }

  add(name: string, inputs: readonly string[]): this {
    return this.node(name, 'add', { inputs });
  }

  concat(name: string, inputs: readonly string[], axis = -1): this {
    return this.node(name, 'concat', { inputs, config: { axis } });
  }

  slice(name: string, begin: number[], size: number[], inputs?: readonly string[]): this {
    return this.node(name, 'slice', { inputs, config: { begin, size } });
  }

  /** The graph; its output is `output` or the last node added. */
  build(output = this.last): Graph {
    return new Graph({ inputs: this.graphInputs, nodes: [...this.nodes], output });
  }
}
