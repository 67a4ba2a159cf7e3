import * as tf from '@tensorflow/tfjs-core';
import { GraphError } from './errors.js';
import { Graph, type GraphInputDtype, type GraphNode } from './graph.js';
import { createModule, getKind, registeredKinds } from './module.js';

/** A tensor in JSON: row-major `data` of the given `shape`. */
export interface JsonTensor {
  shape: number[];
  data: number[];
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

/** A float32 tensor from `{shape, data}` (values rounded to float32, as the fixtures intend). */
export function tensorFromJson(
  value: JsonTensor,
  where = 'tensor',
  dtype: 'float32' | 'int32' = 'float32',
): tf.Tensor {
  const size = value.shape.reduce((a, b) => a * b, 1);
  if (value.data.length !== size) {
    throw new GraphError(
      'weight-shape',
      `${where}: shape [${value.shape}] needs ${size} values, got ${value.data.length}`,
    );
  }
  return dtype === 'int32'
    ? tf.tensor(Int32Array.from(value.data), value.shape, 'int32')
    : tf.tensor(Float32Array.from(value.data), value.shape);
}

/**
 * Builds a graph from the `attrib-model/1` JSON format (NHWC; shared/conformance/FORMAT.md). Unknown
 * ops, missing or out-of-order inputs and parameter shapes that disagree are `GraphError`s naming the node.
 */
export function loadModel(json: JsonModel | string): Graph {
  const model: JsonModel = typeof json === 'string' ? JSON.parse(json) : json;
  if (!model || !Array.isArray(model.nodes) || typeof model.output !== 'string' || !model.input) {
    throw new GraphError('bad-node', `loadModel: expected {input, nodes, output}, got ${typeof json}`);
  }
  const inputs = (Array.isArray(model.input) ? model.input : [model.input]).map((i) => ({
    name: i.name,
    shape: i.shape,
    dtype: i.dtype,
  }));
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
        } else
          throw new GraphError(
            'weight-shape',
            `node '${node.name}': parameter '${name}' must be {shape, data}`,
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
