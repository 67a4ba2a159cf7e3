import * as tf from '@tensorflow/tfjs-core';
import { Graph, ModelImportError, invalidArgument, type GraphInput, type GraphNode } from '@attrib/core';
import { ImportContext, NodeView, computed, type Computed, type Layouts, type Value } from './context.js';
import { folds } from './fold.js';
import { channelsLast, plain } from './layout.js';
import { mappers } from './ops.js';
import { fusePatterns } from './patterns.js';
import { ModelProto, int64ToNumber, type OnnxModelProto, type OnnxNodeProto } from './schema.js';
import { tensorFromProto } from './tensor.js';

export interface ImportOnnxOptions {
  /**
   * 'nhwc' (default): the graph takes and gives channels-last tensors (an NCHW image input becomes
   * NHWC, conv weights and the rows of a linear layer after a flatten are permuted), so its logits equal
   * the ONNX model's. 'keep': inputs and output keep the model's own layout (for non-image models, or
   * to feed NCHW tensors); convolutions still run channels-last between transpose nodes.
   */
  readonly layout?: Layouts;
  /** Per-sample shapes (batch excluded, ONNX order) for inputs whose non-batch sizes are symbolic. */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
}

const fn = 'importOnnx';
const FLOAT_TYPES = new Set([1, 10, 11]);
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/** Explains what a buffer that is not an ONNX model is, and which package reads it. */
function refuseOtherFormats(bytes: Uint8Array): void {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('{')) {
    let kind = 'a JSON file';
    try {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      if (json.modelTopology || json.format === 'layers-model')
        kind = 'a tfjs-layers model.json (read it with @attrib/tfjs-layers)';
      else if (json.format === 'graph-model')
        kind = 'a tfjs graph model (not supported; export ONNX instead)';
      else if (Array.isArray(json.nodes))
        kind = "an Attrib model (read it with loadModel from '@attrib/core')";
    } catch {
      // not even JSON: the generic message below says so
    }
    throw new ModelImportError('wrong-format', `${fn}: expected ONNX bytes (a ModelProto), but got ${kind}.`);
  }
  if (bytes[0] === 0x89 && head.slice(1, 4) === 'HDF')
    throw new ModelImportError(
      'wrong-format',
      `${fn}: expected ONNX bytes, but got a Keras HDF5 file; convert it with tensorflowjs_converter and read it with @attrib/tfjs-layers.`,
    );
  if (bytes[0] === 0x50 && bytes[1] === 0x4b)
    throw new ModelImportError(
      'wrong-format',
      `${fn}: expected ONNX bytes, but got a zip archive (a .keras or PyTorch .pt file?); export the model to ONNX first.`,
    );
}

function decode(bytes: Uint8Array): OnnxModelProto {
  refuseOtherFormats(bytes);
  let model: OnnxModelProto;
  try {
    model = ModelProto.decode(bytes) as unknown as OnnxModelProto;
  } catch (error) {
    throw new ModelImportError(
      'wrong-format',
      `${fn}: expected ONNX bytes (a ModelProto), but the ${bytes.length} bytes do not decode: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!model.graph || !model.graph.node?.length || !model.graph.output?.length)
    throw new ModelImportError(
      'wrong-format',
      `${fn}: expected ONNX bytes (a ModelProto with a graph), but the ${bytes.length} bytes hold no graph nodes`,
    );
  return model;
}

function opsetOf(model: OnnxModelProto): number {
  const entry = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? int64ToNumber(entry.version) : 13;
}

/** Every op type the importer cannot map, each with the names of its nodes: one error, before mapping. */
function checkSupported(nodes: readonly OnnxNodeProto[]): void {
  const missing = new Map<string, string[]>();
  nodes.forEach((node, i) => {
    const custom = node.domain && node.domain !== 'ai.onnx';
    const known = node.opType === 'Constant' || node.opType in mappers || node.opType in folds;
    if (known && !custom) return;
    const type = custom ? `${node.domain}.${node.opType}` : node.opType;
    missing.set(type, [...(missing.get(type) ?? []), node.name || `#${i}`]);
  });
  if (missing.size === 0) return;
  const list = [...missing].map(([type, names]) => `${type} (${names.map((n) => `'${n}'`).join(', ')})`);
  throw new ModelImportError(
    'unsupported-op',
    `${fn}: the model uses ${missing.size} op type(s) this importer does not support: ${list.join('; ')}`,
  );
}

/** The module path torch.onnx recorded in a node name: '/block/conv1/Conv' → 'block.conv1'. */
export function modulePath(onnxName: string): string | undefined {
  if (!onnxName.startsWith('/')) return undefined;
  const scopes = onnxName.split('/').slice(1, -1);
  let path = '';
  // Nested scopes repeat their parent's path ('/layer1/layer1.0/conv1/Conv'): keep the longest.
  for (const scope of scopes)
    path = !path ? scope : scope.startsWith(`${path}.`) ? scope : `${path}.${scope}`;
  return path || undefined;
}

function constantValue(view: NodeView): tf.Tensor {
  const tensor = view.tensorAttribute('value');
  if (tensor) return tensor;
  for (const a of view.attributes) {
    if (a.name === 'value_float') return tf.scalar(a.f ?? 0);
    if (a.name === 'value_floats') return tf.tensor1d(a.floats ?? []);
    if (a.name === 'value_int') return tf.scalar(int64ToNumber(a.i), 'int32');
    if (a.name === 'value_ints') return tf.tensor1d((a.ints ?? []).map(int64ToNumber), 'int32');
  }
  throw view.unsupported('a Constant without a tensor, float or int value');
}

/**
 * Reads an ONNX model (opset 11–17; PyTorch exports) into an Attrib `Graph`. Nodes are named after the
 * module path torch.onnx recorded ('/block/conv1/Conv' → 'block.conv1'), otherwise after the ONNX node;
 * see the README for the op table and the layout rules. Throws `ModelImportError` for a file of another
 * format and, listing them all, for op types it cannot map.
 */
export function importOnnx(bytes: Uint8Array | ArrayBuffer, options: ImportOnnxOptions = {}): Graph {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer))
    throw invalidArgument(fn, 'bytes', 'a Uint8Array or ArrayBuffer of an .onnx file', bytes);
  const layouts = options.layout ?? 'nhwc';
  if (layouts !== 'nhwc' && layouts !== 'keep')
    throw invalidArgument(fn, 'options.layout', "'nhwc' or 'keep'", layouts);
  const model = decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const graph = model.graph!;
  const onnxNodes = fusePatterns(graph);
  checkSupported(onnxNodes);
  const opset = opsetOf(model);

  const scratch: tf.Tensor[] = [];
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputInfos = (graph.input ?? []).filter((i) => !initializerNames.has(i.name));
  const ctx = new ImportContext(
    layouts,
    inputInfos.map((i) => i.name),
  );
  const values = ctx.values;
  try {
    for (const t of graph.initializer ?? []) {
      const tensor = tensorFromProto(t, `initializer '${t.name}'`);
      scratch.push(tensor);
      values.set(t.name ?? '', { type: 'known', tensor });
    }
    const inputs: GraphInput[] = inputInfos.map((info) => {
      const type = info.type?.tensorType;
      const dims = type?.shape?.dim ?? [];
      const given = options.inputShapes?.[info.name];
      const shape = given
        ? [...given]
        : dims.slice(1).map((d, i) => {
            const value = int64ToNumber(d.dimValue);
            if (d.dimParam || value <= 0)
              throw invalidArgument(
                fn,
                `options.inputShapes['${info.name}']`,
                `the per-sample shape of input '${info.name}' (its axis ${i + 1} is '${d.dimParam ?? '?'}')`,
                undefined,
              );
            return value;
          });
      const dtype = INT_TYPES.has(type?.elemType ?? 1) ? 'int32' : 'float32';
      if (!FLOAT_TYPES.has(type?.elemType ?? 1) && dtype !== 'int32')
        throw new ModelImportError(
          'malformed-model',
          `${fn}: input '${info.name}' has ONNX type ${type?.elemType}`,
        );
      const layout = dtype === 'float32' ? ctx.preferred(shape) : plain(shape);
      values.set(info.name, computed(info.name, shape, layout, dtype));
      const declared = { name: info.name, shape: [null, ...layout.attrib] };
      return (dtype === 'int32' ? { ...declared, dtype } : declared) as GraphInput;
    });
    for (const node of onnxNodes)
      for (const input of node.input ?? [])
        ctx.consumers.set(input, [...(ctx.consumers.get(input) ?? []), node]);

    const provisional = new Map<string, string>(); // main Attrib node of an ONNX node → module path
    onnxNodes.forEach((node, index) => {
      const name = node.name || `${node.opType}_${index}`;
      const nodeInputs = (node.input ?? []).map((input) => {
        if (!input) return undefined;
        const value = values.get(input);
        if (!value)
          throw new ModelImportError(
            'malformed-model',
            `${fn}: node '${name}' reads '${input}', which no earlier node, input or initializer provides`,
          );
        return value;
      });
      const view = new NodeView(node, name, nodeInputs, opset);
      ctx.emitted = [];
      let result: Value;
      const allKnown = nodeInputs.every((v) => v === undefined || v.type === 'known');
      if (node.opType === 'Constant') result = { type: 'known', tensor: constantValue(view) };
      else if (allKnown && node.opType in folds) {
        const present = nodeInputs
          .filter((v): v is Value => v !== undefined)
          .map((v) => (v as { tensor: tf.Tensor }).tensor);
        result = { type: 'known', tensor: folds[node.opType](view, present) };
      } else if (node.opType in mappers) result = mappers[node.opType](view, ctx);
      else
        throw view.unsupported(
          'it is supported on constants only (shape arithmetic), and an input here is computed',
        );
      if (result.type === 'known') scratch.push(result.tensor);
      values.set(node.output![0], result);
      const path = modulePath(node.name ?? '');
      if (path && result.type === 'computed' && ctx.emitted.includes(result.node))
        provisional.set(result.node, path);
    });

    const outputName = graph.output![0].name;
    const out = values.get(outputName);
    if (!out || out.type !== 'computed')
      throw new ModelImportError(
        'malformed-model',
        `${fn}: the output '${outputName}' is a constant or missing`,
      );
    // An image model (a float input of rank ≥ 3, converted to channels-last) gives its maps channels-last too.
    const imageModel = inputInfos.some((info) => {
      const input = values.get(info.name) as Computed;
      return layouts === 'nhwc' && input.dtype === 'float32' && input.shape.length >= 2;
    });
    const output = ctx.inLayout(
      out,
      imageModel && out.shape.length >= 2 ? channelsLast(out.shape) : plain(out.shape),
    );
    const result = renameByModulePath(inputs, ctx.nodes, output, provisional);
    tf.dispose(scratch);
    return result;
  } catch (error) {
    tf.dispose(scratch);
    tf.dispose(ctx.owned);
    throw error;
  }
}

/**
 * Each module path names the last Attrib node that an ONNX node of that module produced (a module's
 * output); other nodes keep their ONNX names, and a path already taken is left alone.
 */
function renameByModulePath(
  inputs: readonly GraphInput[],
  nodes: readonly GraphNode[],
  output: string,
  provisional: ReadonlyMap<string, string>,
): Graph {
  const lastOfPath = new Map<string, string>();
  for (const node of nodes) {
    const path = provisional.get(node.name);
    if (path) lastOfPath.set(path, node.name);
  }
  const taken = new Set([...inputs.map((i) => i.name), ...nodes.map((n) => n.name)]);
  const rename = new Map<string, string>();
  for (const [path, name] of lastOfPath) if (!taken.has(path)) rename.set(name, path);
  const to = (name: string) => rename.get(name) ?? name;
  return new Graph({
    inputs,
    nodes: nodes.map((n) => ({ ...n, name: to(n.name), inputs: n.inputs.map(to) })),
    output: to(output),
  });
}
