import * as tf from '@tensorflow/tfjs-core';
import { ModelImportError } from '@attrib/core';
import { DataType, int64ToNumber, type OnnxTensorProto } from './schema.js';

const INT32_MAX = 2 ** 31 - 1;

/** int64 values as tfjs int32: ONNX uses INT64_MAX/MIN as "to the end" in Slice, so clamp, not wrap. */
function clampInt32(value: number): number {
  return Math.max(-INT32_MAX, Math.min(INT32_MAX, value));
}

function littleEndian(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * A TensorProto as a tfjs tensor: float and double as float32, every integer type and bool as int32
 * (int64 clamped to the int32 range). Data comes from `raw_data` (little-endian) or the typed fields.
 */
export function tensorFromProto(proto: OnnxTensorProto, where: string): tf.Tensor {
  const dims = (proto.dims ?? []).map(int64ToNumber);
  const size = dims.reduce((a, b) => a * b, 1);
  const type = proto.dataType ?? 0;
  if (proto.dataLocation === 1) {
    throw new ModelImportError(
      'malformed-model',
      `importOnnx: ${where} keeps its data in an external file; save the model with the weights inside (onnx.save_model(..., save_as_external_data=False))`,
    );
  }
  const raw = proto.rawData && proto.rawData.length > 0 ? littleEndian(proto.rawData) : undefined;
  const values = (
    read: (view: DataView, i: number) => number,
    bytes: number,
    fallback?: ArrayLike<number>,
  ) => {
    if (raw) {
      if (raw.byteLength !== size * bytes) {
        throw new ModelImportError(
          'malformed-model',
          `importOnnx: ${where} has shape [${dims}] (${size} values) but ${raw.byteLength} bytes of raw data`,
        );
      }
      return Array.from({ length: size }, (_, i) => read(raw, i * bytes));
    }
    return Array.from(fallback ?? []);
  };
  let data: number[];
  let dtype: 'float32' | 'int32';
  switch (type) {
    case DataType.FLOAT:
      data = values((v, o) => v.getFloat32(o, true), 4, proto.floatData);
      dtype = 'float32';
      break;
    case DataType.DOUBLE:
      data = values((v, o) => v.getFloat64(o, true), 8, proto.doubleData);
      dtype = 'float32';
      break;
    case DataType.INT64:
      data = values((v, o) => Number(v.getBigInt64(o, true)), 8, (proto.int64Data ?? []).map(int64ToNumber));
      data = data.map(clampInt32);
      dtype = 'int32';
      break;
    case DataType.INT32:
      data = values((v, o) => v.getInt32(o, true), 4, proto.int32Data);
      dtype = 'int32';
      break;
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
    case DataType.INT16:
    case DataType.UINT16: {
      const bytes = type === DataType.INT16 || type === DataType.UINT16 ? 2 : 1;
      const read = {
        [DataType.INT8]: (v: DataView, o: number) => v.getInt8(o),
        [DataType.UINT8]: (v: DataView, o: number) => v.getUint8(o),
        [DataType.BOOL]: (v: DataView, o: number) => v.getUint8(o),
        [DataType.INT16]: (v: DataView, o: number) => v.getInt16(o, true),
        [DataType.UINT16]: (v: DataView, o: number) => v.getUint16(o, true),
      }[type];
      data = values(read, bytes, proto.int32Data);
      dtype = 'int32';
      break;
    }
    default:
      throw new ModelImportError(
        'malformed-model',
        `importOnnx: ${where} has ONNX data type ${type}; supported are float, double, int8/16/32/64, uint8/16 and bool`,
      );
  }
  if (data.length !== size) {
    throw new ModelImportError(
      'malformed-model',
      `importOnnx: ${where} has shape [${dims}] (${size} values) but ${data.length} values`,
    );
  }
  return dtype === 'float32'
    ? tf.tensor(Float32Array.from(data), dims, 'float32')
    : tf.tensor(Int32Array.from(data), dims, 'int32');
}

/** A TensorProto with raw little-endian data (float32, or int64 for integer tensors), for the writer. */
export function protoFromValues(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number>,
  type: 'float32' | 'int64' = 'float32',
): OnnxTensorProto {
  const bytes = type === 'float32' ? 4 : 8;
  const raw = new Uint8Array(values.length * bytes);
  const view = littleEndian(raw);
  for (let i = 0; i < values.length; i++) {
    if (type === 'float32') view.setFloat32(i * 4, values[i], true);
    else view.setBigInt64(i * 8, BigInt(Math.trunc(values[i])), true);
  }
  return {
    name,
    dims: [...dims],
    dataType: type === 'float32' ? DataType.FLOAT : DataType.INT64,
    rawData: raw,
  };
}
