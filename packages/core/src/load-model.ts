import * as tf from '@tensorflow/tfjs-core';
import { GraphError, ModelImportError, invalidArgument } from './errors.js';
import { Graph, type GraphInputDtype, type GraphNode } from './graph.js';
import { createModule, getKind, registeredKinds } from './module.js';

/** A tensor in JSON: row-major `data` of the given `shape`. */
export interface JsonTensor {
  shape: number[];
  data: number[];
}

/** A parameter stored in the weights file: the `name` of its entry in `weights.entries`. */
export interface JsonWeightRef {
  ref: string;
}

/** One tensor in the weights file: `byteLength` bytes from `offset`, little-endian, row-major. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  byteLength: number;
}

/** The manifest of the binary weights file that goes with a model (see FORMAT.md). */
export interface WeightsManifest {
  /** The file, relative to the model JSON (what `loadModelFile` reads); informational for `loadModel`. */
  path?: string;
  /** The file's total size: a shorter or longer file is refused. */
  byteLength: number;
  entries: WeightEntry[];
}

/** A graph input: `dtype` 'int32' for token ids (default 'float32'). */
export interface JsonInput {
  name: string;
  shape?: (number | null)[];
  dtype?: GraphInputDtype;
}

export interface JsonModel {
  format?: string;
  id?: string;
  layout?: string;
  input: JsonInput | JsonInput[];
  nodes: Array<Record<string, unknown> & { name: string; op: string; inputs: string[] }>;
  output: string;
  /** Present when parameters are `{ref}`s into a binary weights file. */
  weights?: WeightsManifest;
}

/** Where `loadModel` finds the bytes of `{ref}` parameters. */
export interface LoadModelOptions {
  /** The weights file's bytes (an ArrayBuffer, a Uint8Array or a Node Buffer). */
  weights?: ArrayBuffer | ArrayBufferView;
}

/** Fields of a JSON node that are documentation, not configuration. */
const informational = new Set(['name', 'op', 'inputs', 'torchModule', 'note', 'description']);

function isJsonTensor(value: unknown): value is JsonTensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as JsonTensor).shape) &&
    Array.isArray((value as JsonTensor).data)
  );
}

function isWeightRef(value: unknown): value is JsonWeightRef {
  return typeof value === 'object' && value !== null && typeof (value as JsonWeightRef).ref === 'string';
}

const isShape = (shape: unknown): shape is number[] =>
  Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);

/** The first non-finite value of a float array, as a message fragment; undefined when all are finite. */
function firstNonFinite(values: ArrayLike<number>): string | undefined {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `value ${values[i]} at flat index ${i}`;
  }
  return undefined;
}

/**
 * A float32 tensor from `{shape, data}` (values rounded to float32, as the fixtures intend). NaN, ±∞
 * and non-numbers (JSON has no NaN: a writer that met one wrote null) are refused.
 */
export function tensorFromJson(
  value: JsonTensor,
  where = 'tensor',
  dtype: 'float32' | 'int32' = 'float32',
): tf.Tensor {
  if (!isShape(value.shape)) {
    throw new GraphError(
      'weight-shape',
      `${where}: shape must be non-negative integers, got ${JSON.stringify(value.shape)}`,
    );
  }
  const size = value.shape.reduce((a, b) => a * b, 1);
  if (value.data.length !== size) {
    throw new GraphError(
      'weight-shape',
      `${where}: shape [${value.shape}] needs ${size} values, got ${value.data.length}`,
    );
  }
  const bad = value.data.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) {
    throw new GraphError(
      'bad-weights',
      `${where}: weights must be finite numbers, got ${JSON.stringify(value.data[bad])} at flat index ${bad}`,
    );
  }
  return dtype === 'int32'
    ? tf.tensor(Int32Array.from(value.data), value.shape, 'int32')
    : tf.tensor(Float32Array.from(value.data), value.shape);
}

/** Checks a weights manifest against the bytes it describes, once, before any tensor is made. */
function checkManifest(manifest: WeightsManifest, bytes: DataView): Map<string, WeightEntry> {
  if (!manifest || !Array.isArray(manifest.entries)) {
    throw new GraphError(
      'bad-weights',
      `loadModel: 'weights' must be {byteLength, entries: [...]}, got ${JSON.stringify(manifest)}`,
    );
  }
  if (manifest.byteLength !== bytes.byteLength) {
    throw new GraphError(
      'bad-weights',
      `loadModel: the weights file has ${bytes.byteLength} bytes, but the model's manifest expects ${manifest.byteLength}${bytes.byteLength < manifest.byteLength ? ' (truncated?)' : ''}`,
    );
  }
  const entries = new Map<string, WeightEntry>();
  for (const entry of manifest.entries) {
    const where = `weights entry '${entry?.name}'`;
    if (typeof entry?.name !== 'string' || entries.has(entry.name)) {
      throw new GraphError('bad-weights', `loadModel: ${where}: every entry needs a unique string name`);
    }
    if (entry.dtype !== 'float32' && entry.dtype !== 'int32') {
      throw new GraphError(
        'bad-weights',
        `loadModel: ${where}: dtype must be 'float32' or 'int32', got ${JSON.stringify(entry.dtype)}`,
      );
    }
    if (!isShape(entry.shape)) {
      throw new GraphError(
        'bad-weights',
        `loadModel: ${where}: shape must be non-negative integers, got ${JSON.stringify(entry.shape)}`,
      );
    }
    const needed = 4 * entry.shape.reduce((a, b) => a * b, 1);
    if (entry.byteLength !== needed || !Number.isInteger(entry.offset) || entry.offset < 0) {
      throw new GraphError(
        'bad-weights',
        `loadModel: ${where}: shape [${entry.shape}] of ${entry.dtype} needs byteLength ${needed} at a non-negative offset, got byteLength ${entry.byteLength} at offset ${entry.offset}`,
      );
    }
    if (entry.offset + needed > bytes.byteLength) {
      throw new GraphError(
        'bad-weights',
        `loadModel: ${where} needs bytes [${entry.offset}, ${entry.offset + needed}) but the weights file has ${bytes.byteLength}`,
      );
    }
    entries.set(entry.name, entry);
  }
  return entries;
}

/** Reads one entry, little-endian whatever the platform's byte order. */
function tensorFromBytes(entry: WeightEntry, bytes: DataView, where: string): tf.Tensor {
  const count = entry.byteLength / 4;
  if (entry.dtype === 'int32') {
    const values = new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes.getInt32(entry.offset + 4 * i, true);
    return tf.tensor(values, entry.shape, 'int32');
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = bytes.getFloat32(entry.offset + 4 * i, true);
  const bad = firstNonFinite(values);
  if (bad)
    throw new GraphError(
      'bad-weights',
      `${where}: weights must be finite, got ${bad} (weights entry '${entry.name}')`,
    );
  return tf.tensor(values, entry.shape);
}

const asDataView = (bytes: ArrayBuffer | ArrayBufferView): DataView =>
  ArrayBuffer.isView(bytes)
    ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new DataView(bytes);

/** Models of other formats say which package reads them, instead of failing on a missing field. */
function refuseOtherFormats(value: unknown): void {
  const refuse = (what: string, reader: string) => {
    throw new ModelImportError(
      'wrong-format',
      `loadModel: expected an attrib-model/1 JSON model {input, nodes, output}, but got ${what}; read it with ${reader}.`,
    );
  };
  if (value instanceof Uint8Array || value instanceof ArrayBuffer)
    refuse('binary data (an .onnx file?)', "importOnnx or loadOnnx from '@attrib/onnx'");
  if (!value || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (record.modelTopology !== undefined || record.format === 'layers-model')
    refuse('a tfjs-layers model.json', "'@attrib/tfjs-layers'");
  if (Array.isArray(record.layers) && typeof record.predict === 'function')
    refuse('a tf.LayersModel', "'@attrib/tfjs-layers'");
}

/**
 * Builds a graph from the `attrib-model/1` format (NHWC; FORMAT.md in this package). Parameters are
 * inline `{shape, data}` or `{ref}`s into a binary weights file passed as `options.weights`. Unknown
 * ops, missing or out-of-order inputs, parameter shapes that disagree, a weights file that does not
 * match its manifest, and NaN or ±∞ weights are `GraphError`s naming the node.
 */
export function loadModel(json: JsonModel | string, options: LoadModelOptions = {}): Graph {
  const model: JsonModel = typeof json === 'string' ? JSON.parse(json) : json;
  refuseOtherFormats(model);
  if (!model || !Array.isArray(model.nodes) || typeof model.output !== 'string' || !model.input) {
    throw new GraphError('bad-node', `loadModel: expected {input, nodes, output}, got ${typeof json}`);
  }
  const inputs = (Array.isArray(model.input) ? model.input : [model.input]).map((i) => ({
    name: i.name,
    shape: i.shape,
    dtype: i.dtype,
  }));
  const refs =
    model.weights === undefined
      ? undefined
      : options.weights === undefined
        ? null
        : { bytes: asDataView(options.weights), entries: new Map<string, WeightEntry>() };
  if (refs) refs.entries = checkManifest(model.weights!, refs.bytes);
  const created: tf.Tensor[] = [];
  try {
    const nodes: GraphNode[] = model.nodes.map((node) => {
      const definition = getKind(node.op);
      if (!definition) {
        throw new GraphError(
          'unknown-op',
          `node '${node.name}': unknown op '${node.op}'; registered kinds are ${registeredKinds().join(', ')}`,
        );
      }
      const params: Record<string, tf.Tensor | null> = {};
      for (const name of definition.paramNames) {
        const value = node[name];
        if (value === undefined || value === null) params[name] = null;
        else if (isJsonTensor(value)) {
          const tensor = tensorFromJson(value, `node '${node.name}' parameter '${name}'`);
          created.push(tensor);
          params[name] = tensor;
        } else if (isWeightRef(value)) {
          const where = `node '${node.name}' parameter '${name}'`;
          if (!refs) {
            throw new GraphError(
              'bad-weights',
              refs === null
                ? `${where} is in a weights file: pass its bytes as loadModel(json, { weights }) (or use loadModelFile from '@attrib/core/node')`
                : `${where} refers to '${value.ref}', but the model has no 'weights' manifest`,
            );
          }
          const entry = refs.entries.get(value.ref);
          if (!entry)
            throw new GraphError(
              'bad-weights',
              `${where} refers to '${value.ref}', which the weights manifest does not list`,
            );
          const tensor = tensorFromBytes(entry, refs.bytes, where);
          created.push(tensor);
          params[name] = tensor;
        } else
          throw new GraphError(
            'weight-shape',
            `node '${node.name}': parameter '${name}' must be {shape, data} or {ref}, got ${JSON.stringify(value).slice(0, 80)}`,
          );
      }
      const config = definition.fromJson
        ? definition.fromJson(node).config
        : Object.fromEntries(
            Object.entries(node).filter(([k]) => !informational.has(k) && !definition.paramNames.includes(k)),
          );
      if (!Array.isArray(node.inputs))
        throw new GraphError('missing-input', `node '${node.name}' has no inputs list`);
      return {
        name: node.name,
        module: createModule(node.op, params, config, node.name),
        inputs: node.inputs,
      };
    });
    return new Graph({ inputs, nodes, output: model.output });
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

/** How `serializeModel` writes parameters. */
export interface SerializeModelOptions {
  /** 'binary' (default): one little-endian weights file, `{ref}`s in the JSON; 'inline': `{shape, data}`. */
  weights?: 'binary' | 'inline';
  /** Recorded as the manifest's `path` (where `loadModelFile` looks, relative to the JSON); default 'weights.bin'. */
  weightsPath?: string;
  /** Recorded as the model's `id`. */
  id?: string;
}

/** A model as `attrib-model/1` JSON, and the weights file's bytes when parameters are binary. */
export interface SerializedModel {
  model: JsonModel;
  weights?: Uint8Array;
}

/** Node fields the format itself uses; a config key of that name could not be read back. */
const reservedKeys = new Set([...informational, 'op']);

/** Refuses config values JSON would change (NaN and ±∞ become null, functions and tensors vanish). */
function checkJsonValue(value: unknown, where: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonValue(v, `${where}[${i}]`));
    return;
  } else if (typeof value === 'object' && !(value instanceof tf.Tensor)) {
    for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${where}.${k}`);
    return;
  }
  throw invalidArgument(
    'serializeModel',
    where,
    'a JSON value (finite numbers, strings, booleans, lists, objects)',
    value,
  );
}

/**
 * Writes a graph in the `attrib-model/1` format, so that `loadModel(model, { weights })` gives a graph
 * with identical outputs. Each node is `{name, op, inputs, ...config, ...params}`; a tensor used by
 * several nodes (a reused module) is stored once. NaN or ±∞ weights and configs JSON cannot hold are
 * refused with an `InvalidArgumentError` naming the node.
 */
export async function serializeModel(
  graph: Graph,
  options: SerializeModelOptions = {},
): Promise<SerializedModel> {
  const binary = (options.weights ?? 'binary') === 'binary';
  const entries: WeightEntry[] = [];
  const chunks: { entry: WeightEntry; values: Float32Array | Int32Array }[] = [];
  const stored = new Map<tf.Tensor, string>();
  let offset = 0;
  const nodes: JsonModel['nodes'] = [];
  for (const node of graph.nodes) {
    const definition = getKind(node.module.kind)!;
    const json: Record<string, unknown> = { name: node.name, op: node.module.kind, inputs: [...node.inputs] };
    for (const [key, value] of Object.entries(node.module.config)) {
      if (value === undefined) continue;
      if (reservedKeys.has(key) || definition.paramNames.includes(key)) {
        throw invalidArgument(
          'serializeModel',
          `node '${node.name}' config '${key}'`,
          'a key the format does not reserve',
          key,
        );
      }
      checkJsonValue(value, `node '${node.name}' config '${key}'`);
      json[key] = value;
    }
    for (const name of definition.paramNames) {
      const tensor = node.module.params[name];
      if (!tensor) continue;
      const where = `node '${node.name}' parameter '${name}'`;
      if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') {
        throw invalidArgument('serializeModel', where, 'a float32 or int32 tensor', tensor.dtype);
      }
      const values = (await tensor.data()) as Float32Array | Int32Array;
      const bad = tensor.dtype === 'float32' ? firstNonFinite(values) : undefined;
      if (bad) throw invalidArgument('serializeModel', where, 'finite weights', bad, 'non-finite-input');
      if (!binary) {
        json[name] = { shape: [...tensor.shape], data: Array.from(values) };
        continue;
      }
      let ref = stored.get(tensor);
      if (ref === undefined) {
        ref = `${node.name}/${name}`;
        const entry: WeightEntry = {
          name: ref,
          shape: [...tensor.shape],
          dtype: tensor.dtype,
          offset,
          byteLength: 4 * values.length,
        };
        offset += entry.byteLength;
        entries.push(entry);
        chunks.push({ entry, values });
        stored.set(tensor, ref);
      }
      json[name] = { ref };
    }
    nodes.push(json as JsonModel['nodes'][number]);
  }
  const input = graph.inputs.map((i) => ({
    name: i.name,
    ...(i.shape ? { shape: [...i.shape] } : {}),
    ...(i.dtype ? { dtype: i.dtype } : {}),
  }));
  const model: JsonModel = {
    format: 'attrib-model/1',
    ...(options.id ? { id: options.id } : {}),
    layout: 'NHWC',
    input: input.length === 1 ? input[0]! : input,
    nodes,
    output: graph.output,
  };
  if (!binary) return { model };
  model.weights = { path: options.weightsPath ?? 'weights.bin', byteLength: offset, entries };
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  for (const { entry, values } of chunks) {
    for (let i = 0; i < values.length; i++) {
      if (entry.dtype === 'int32') view.setInt32(entry.offset + 4 * i, values[i]!, true);
      else view.setFloat32(entry.offset + 4 * i, values[i]!, true);
    }
  }
  return { model, weights: bytes };
}
