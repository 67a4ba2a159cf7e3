import * as tf from '@tensorflow/tfjs-core';
import { ModelImportError, createModule, type Config, type GraphNode } from '@attrib/core';
import {
  channelsLast,
  invert,
  isIdentity,
  isPermutationOf,
  plain,
  permute,
  sameLayout,
  sameShape,
  size,
  type Layout,
} from './layout.js';
import { AttributeType, int64ToNumber, type OnnxAttributeProto, type OnnxNodeProto } from './schema.js';
import { tensorFromProto } from './tensor.js';

/** A tensor computed by the imported graph: the Attrib node (or graph input) that holds it. */
export interface Computed {
  readonly type: 'computed';
  readonly node: string;
  /** The ONNX per-sample shape (batch axis excluded; every dim known). */
  readonly shape: readonly number[];
  readonly layout: Layout;
  readonly dtype: 'float32' | 'int32';
}

/** A tensor known at import time (initializers, Constant nodes, folded shape arithmetic), ONNX layout. */
export interface Known {
  readonly type: 'known';
  readonly tensor: tf.Tensor;
}

export type Value = Computed | Known;

/**
 * Stands for the batch size in folded shape arithmetic (`x.view(x.size(0), -1)` exports
 * Shape → Gather → Unsqueeze → Concat → Reshape): a Reshape reads it as "keep the batch axis".
 */
export const BATCH = -987_654_321;

export type Layouts = 'nhwc' | 'keep';

/** One ONNX node as the op mappers see it. */
export class NodeView {
  constructor(
    readonly proto: OnnxNodeProto,
    readonly name: string,
    readonly inputs: readonly (Value | undefined)[],
    readonly opset: number,
  ) {}

  get opType(): string {
    return this.proto.opType;
  }

  private attribute(name: string): OnnxAttributeProto | undefined {
    return this.proto.attribute?.find((a) => a.name === name);
  }

  has(name: string): boolean {
    return this.attribute(name) !== undefined;
  }

  int(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a ? int64ToNumber(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a ? (a.f ?? 0) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.attribute(name);
    return a ? (a.ints ?? []).map(int64ToNumber) : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.attribute(name);
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  /** A tensor-valued attribute (Constant's `value`, ConstantOfShape's `value`). */
  tensorAttribute(name: string): tf.Tensor | undefined {
    const a = this.attribute(name);
    if (!a) return undefined;
    if (a.t && (a.type === AttributeType.TENSOR || a.type === undefined))
      return tensorFromProto(a.t, `node '${this.name}' attribute '${name}'`);
    return undefined;
  }

  /** Every attribute of the node, for Constant's value_float / value_ints / … forms. */
  get attributes(): readonly OnnxAttributeProto[] {
    return this.proto.attribute ?? [];
  }

  computed(index: number): Computed {
    const value = this.inputs[index];
    if (value?.type !== 'computed') throw this.unsupported(`input ${index} must be a computed tensor`);
    return value;
  }

  /** An input that must be known at import time (weights, shapes, axes). */
  known(index: number): tf.Tensor {
    const value = this.inputs[index];
    if (value?.type !== 'known')
      throw this.unsupported(
        `input ${index} ('${this.proto.input?.[index] ?? ''}') must be a constant (an initializer, a Constant node or shape arithmetic that folds)`,
      );
    return value.tensor;
  }

  optionalKnown(index: number): tf.Tensor | undefined {
    const name = this.proto.input?.[index];
    return name ? this.known(index) : undefined;
  }

  unsupported(why: string): ModelImportError {
    return new ModelImportError(
      'unsupported-op',
      `importOnnx: node '${this.name}' (${this.opType}) cannot be imported: ${why}`,
    );
  }
}

/** The graph being built: nodes, the tensors they own, and the layout conversions between them. */
export class ImportContext {
  readonly nodes: GraphNode[] = [];
  /** Parameters of the emitted nodes: disposed if the import fails. */
  readonly owned: tf.Tensor[] = [];
  private readonly names = new Set<string>();
  /** Nodes emitted while mapping the current ONNX node. */
  emitted: string[] = [];
  /** ONNX nodes reading each ONNX value, by value name. */
  readonly consumers = new Map<string, OnnxNodeProto[]>();
  /** Spatial zero padding of a Pad folded into its only reader (Conv, AveragePool), by the Pad's output. */
  readonly foldedPads = new Map<string, number[]>();
  /** Add nodes whose constant operand became the bias of the MatMul before them: they pass it on. */
  readonly foldedAdds = new Set<OnnxNodeProto>();
  /** Every ONNX value mapped so far, by name. */
  readonly values = new Map<string, Value>();

  constructor(
    readonly layouts: Layouts,
    reserved: readonly string[],
  ) {
    reserved.forEach((name) => this.names.add(name));
  }

  unique(name: string): string {
    let candidate = name;
    for (let i = 1; this.names.has(candidate); i++) candidate = `${name}_${i}`;
    this.names.add(candidate);
    return candidate;
  }

  /** Adds a node; parameters become owned by the graph. Returns the node's name. */
  emit(
    name: string,
    kind: string,
    inputs: readonly string[],
    config: Config = {},
    params: Record<string, tf.Tensor | null> = {},
  ): string {
    const unique = this.unique(name);
    for (const tensor of Object.values(params)) if (tensor) this.owned.push(tensor);
    this.nodes.push({ name: unique, module: createModule(kind, params, config, unique), inputs });
    this.emitted.push(unique);
    return unique;
  }

  /** The layout image inputs and convolutions use: channels-last in 'nhwc' mode for rank ≥ 2. */
  preferred(shape: readonly number[]): Layout {
    return this.layouts === 'nhwc' && shape.length >= 2 ? channelsLast(shape) : plain(shape);
  }

  /**
   * The name of a node holding `value` in `target` layout, emitting a reshape / transpose chain when
   * its current layout differs (through the ONNX order: undo the current layout, apply the target).
   */
  inLayout(value: Computed, target: Layout): string {
    if (sameLayout(value.layout, target)) return value.node;
    const { source, perm, attrib } = value.layout;
    let node = value.node;
    const base = value.node;
    const permuted = permute(source, perm);
    if (!sameShape(attrib, permuted))
      node = this.emit(`${base}/reshape`, 'reshape', [node], { shape: permuted });
    if (!isIdentity(perm))
      node = this.emit(`${base}/transpose`, 'transpose', [node], {
        perm: [0, ...invert(perm).map((p) => p + 1)],
      });
    const targetPermuted = permute(target.source, target.perm);
    if (!sameShape(source, target.source))
      node = this.emit(`${base}/reshape`, 'reshape', [node], { shape: target.source });
    if (!isIdentity(target.perm))
      node = this.emit(`${base}/transpose`, 'transpose', [node], {
        perm: [0, ...target.perm.map((p) => p + 1)],
      });
    if (!sameShape(target.attrib, targetPermuted))
      node = this.emit(`${base}/reshape`, 'reshape', [node], { shape: target.attrib });
    return node;
  }

  /** `value` as an axis permutation of its ONNX shape (no pending reshape); returns node and layout. */
  asPermutation(value: Computed): { node: string; layout: Layout } {
    if (isPermutationOf(value.layout, value.shape)) return { node: value.node, layout: value.layout };
    const layout = plain(value.shape);
    return { node: this.inLayout(value, layout), layout };
  }

  /**
   * A known tensor that broadcasts against `value` (ONNX numpy rules, batch axis included), brought
   * into `layout` so it broadcasts the same way against the Attrib tensor, per sample (no batch axis).
   */
  knownInLayout(known: tf.Tensor, shape: readonly number[], layout: Layout, where: NodeView): tf.Tensor {
    return tf.tidy(() => {
      let c = tf.cast(known, 'float32');
      const rank = shape.length;
      if (c.rank === rank + 1) {
        if (c.shape[0] !== 1)
          throw where.unsupported(`a constant of shape [${c.shape}] varies along the batch axis`);
        c = tf.reshape(c, c.shape.slice(1));
      }
      if (c.rank > rank)
        throw where.unsupported(`a constant of shape [${c.shape}] has more axes than the tensor`);
      c = tf.reshape(c, [...new Array<number>(rank - c.rank).fill(1), ...c.shape]);
      c.shape.forEach((d, i) => {
        if (d !== 1 && d !== shape[i])
          throw where.unsupported(`a constant of shape [${known.shape}] does not broadcast to [N,${shape}]`);
      });
      if (isPermutationOf(layout, shape)) return rank === 0 ? c : tf.transpose(c, layout.perm as number[]);
      const full = tf.broadcastTo(c, shape as number[]);
      const permuted = tf.transpose(tf.reshape(full, layout.source as number[]), layout.perm as number[]);
      return tf.reshape(permuted, layout.attrib as number[]);
    });
  }
}

/** A computed value of `shape` held by `node` in `layout`. */
export function computed(
  node: string,
  shape: readonly number[],
  layout: Layout,
  dtype: 'float32' | 'int32' = 'float32',
): Computed {
  if (size(shape) !== size(layout.attrib))
    throw new Error(`internal: layout [${layout.attrib}] does not hold shape [${shape}]`);
  return { type: 'computed', node, shape, layout, dtype };
}
