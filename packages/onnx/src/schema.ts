import protobuf from 'protobufjs/light.js';

/**
 * The subset of onnx.proto (github.com/onnx/onnx, `onnx/onnx.proto`, IR version 8) this package reads
 * and writes, as a protobufjs JSON descriptor: field numbers and types copied from the public
 * definition. A JSON descriptor lets us use `protobufjs/light` (no .proto parser in the bundle).
 * Fields we never read (sparse tensors, training info, functions) are left out; protobuf skips them.
 */
const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'int32', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7, options: { packed: false } },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } },
        },
        TypeProto: {
          fields: { tensorType: { type: 'TensorTypeProto', id: 1 } },
        },
        TensorTypeProto: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
        },
        Dimension: {
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProto = root.lookupType('onnx.ModelProto');

/** onnx.proto's `AttributeProto.AttributeType`. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
} as const;

/** onnx.proto's `TensorProto.DataType` (the ones with a tfjs counterpart, and the rest by name). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** A 64-bit integer as protobufjs decodes it: a number, or a `Long` when the `long` package is there. */
export type Int64 = number | { toNumber(): number };

export interface OnnxTensorProto {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  name?: string;
  rawData?: Uint8Array;
  dataLocation?: number;
}

export interface OnnxAttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  g?: OnnxGraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: OnnxTensorProto[];
}

export interface OnnxNodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: OnnxAttributeProto[];
}

export interface OnnxValueInfoProto {
  name: string;
  type?: {
    tensorType?: {
      elemType?: number;
      shape?: { dim?: Array<{ dimValue?: Int64; dimParam?: string }> };
    };
  };
}

export interface OnnxGraphProto {
  node?: OnnxNodeProto[];
  name?: string;
  initializer?: OnnxTensorProto[];
  input?: OnnxValueInfoProto[];
  output?: OnnxValueInfoProto[];
  valueInfo?: OnnxValueInfoProto[];
}

export interface OnnxModelProto {
  irVersion?: Int64;
  opsetImport?: Array<{ domain?: string; version?: Int64 }>;
  producerName?: string;
  producerVersion?: string;
  graph?: OnnxGraphProto;
}

export function int64ToNumber(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
