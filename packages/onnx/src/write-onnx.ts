import { invalidArgument } from '@attrib/core';
import {
  AttributeType,
  DataType,
  ModelProto,
  type OnnxAttributeProto,
  type OnnxTensorProto,
} from './schema.js';
import { protoFromValues } from './tensor.js';

/** A tensor for the writer: row-major `data` of `shape`, stored as float32 or int64. */
export interface OnnxTensorSpec {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly type?: 'float32' | 'int64';
}

/** An attribute value, tagged with its ONNX type (an int and a float are not told apart by a number). */
export type OnnxAttributeSpec =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly t: OnnxTensorSpec };

export interface OnnxNodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, OnnxAttributeSpec>>;
}

export interface OnnxValueSpec {
  readonly name: string;
  /** A number, or a string for a symbolic size (the batch axis: 'N'). */
  readonly shape?: readonly (number | string)[];
  readonly type?: 'float32' | 'int64';
}

export interface OnnxModelSpec {
  /** The default-domain opset (13 unless given). */
  readonly opset?: number;
  readonly inputs: readonly OnnxValueSpec[];
  readonly outputs: readonly OnnxValueSpec[];
  readonly initializers?: Readonly<Record<string, OnnxTensorSpec>>;
  readonly nodes: readonly OnnxNodeSpec[];
}

const fn = 'writeOnnx';

function tensor(name: string, spec: OnnxTensorSpec): OnnxTensorProto {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.data.length !== size)
    throw invalidArgument(
      fn,
      `tensor '${name}'`,
      `${size} values for shape [${spec.shape}]`,
      spec.data.length,
    );
  return protoFromValues(name, spec.shape, spec.data, spec.type ?? 'float32');
}

function attribute(name: string, value: OnnxAttributeSpec): OnnxAttributeProto {
  if ('i' in value) return { name, type: AttributeType.INT, i: value.i };
  if ('f' in value) return { name, type: AttributeType.FLOAT, f: value.f };
  if ('s' in value) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.s) };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  return { name, type: AttributeType.TENSOR, t: tensor(name, value.t) };
}

function valueInfo(value: OnnxValueSpec) {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: value.type === 'int64' ? DataType.INT64 : DataType.FLOAT,
        shape: value.shape && {
          dim: value.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

/**
 * Encodes an ONNX model (IR version 8) from a plain description: what the tests build single-op and
 * multi-op models with, to run them in onnxruntime and import them. Attributes carry their type
 * (`{i}`, `{f}`, `{s}`, `{ints}`, `{floats}`, `{t}`).
 */
export function writeOnnx(spec: OnnxModelSpec): Uint8Array {
  const model = {
    irVersion: 8,
    producerName: '@attrib/onnx writeOnnx',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'graph',
      node: spec.nodes.map((node, i) => ({
        name: node.name ?? `${node.op}_${i}`,
        opType: node.op,
        domain: node.domain ?? '',
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attribute(name, value)),
      })),
      initializer: Object.entries(spec.initializers ?? {}).map(([name, t]) => tensor(name, t)),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
