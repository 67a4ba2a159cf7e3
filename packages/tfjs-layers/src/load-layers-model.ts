import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { invalidArgument, ModelImportError, type Graph } from '@attrib/core';
import {
  importLayersModel,
  refuseUnsupportedLayers,
  type ImportLayersOptions,
  type LayerConfig,
} from './import-layers-model.js';

/** A model.json path (Node), an http(s) or file URL, or any `tf.io` handler (`tf.io.fromMemory`, …). */
export type LayersModelSource = string | URL | tf.io.IOHandler;

const fn = 'loadLayersModel';

/**
 * Reads a tfjs-layers `model.json` and its weight files into a `Graph`. Every layer class is checked
 * before anything loads (all unsupported ones listed in one `ModelImportError`); a file of another format
 * (an Attrib model, a tfjs graph model, ONNX or Keras HDF5 bytes) is a `ModelImportError` 'wrong-format'
 * that names the reader to use.
 */
export async function loadLayersModel(
  source: LayersModelSource,
  options: ImportLayersOptions = {},
): Promise<Graph> {
  const artifacts = await readArtifacts(source);
  const topology = checkTopology(artifacts.modelTopology, describe(source));
  refuseUnsupportedLayers(topology, fn);
  const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    return importLayersModel(model, options);
  } finally {
    model.dispose();
  }
}

function describe(source: LayersModelSource): string {
  return typeof source === 'string'
    ? `'${source}'`
    : source instanceof URL
      ? `'${source.href}'`
      : 'the handler';
}

async function readArtifacts(source: LayersModelSource): Promise<tf.io.ModelArtifacts> {
  if (source instanceof URL)
    return source.protocol === 'file:' ? readFromDisk(source) : readOverHttp(source.href);
  if (typeof source === 'string')
    return /^https?:\/\//.test(source) ? readOverHttp(source) : readFromDisk(source);
  const load = typeof source === 'object' && source !== null ? source.load : undefined;
  if (typeof load === 'function') {
    const artifacts = await load.call(source);
    if (!artifacts || typeof artifacts !== 'object')
      throw new ModelImportError(
        'malformed-model',
        `${fn}: the handler's load() returned ${typeof artifacts}`,
      );
    return artifacts;
  }
  throw invalidArgument(fn, 'source', 'a model.json path, a URL or a tf.io handler', source);
}

async function readOverHttp(url: string): Promise<tf.io.ModelArtifacts> {
  // tf.io.http's handler always has load (its type marks it optional, as for save-only handlers).
  return tf.io.http(url).load!();
}

/** model.json and the weight files its manifest names, relative to it (Node only). */
async function readFromDisk(path: string | URL): Promise<tf.io.ModelArtifacts> {
  const { readFile } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const file = path instanceof URL ? fileURLToPath(path) : path;
  const bytes = await readFile(file);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw wrongFormat(`'${file}'`, binaryKind(bytes));
  }
  checkTopology(json.modelTopology ?? json, `'${file}'`, json);
  const manifest = json.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (!Array.isArray(manifest))
    throw new ModelImportError('malformed-model', `${fn}: '${file}' has no weightsManifest`);
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const buffers = await Promise.all(
    manifest.flatMap((group) => group.paths.map((p) => readFile(join(dirname(file), p)))),
  );
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: weightData.buffer,
    format: json.format as string | undefined,
  };
}

function binaryKind(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && String.fromCharCode(bytes[1], bytes[2], bytes[3]) === 'HDF')
    return 'a Keras HDF5 file; convert it with tensorflowjs_converter --input_format keras and load the model.json';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b)
    return 'a zip archive (a .keras or PyTorch file?); export it to tfjs-layers or ONNX';
  return "binary data (an .onnx file?); read ONNX with importOnnx or loadOnnx from '@attrib/onnx'";
}

function wrongFormat(where: string, what: string): ModelImportError {
  return new ModelImportError(
    'wrong-format',
    `${fn}: expected a tfjs-layers model.json at ${where}, but got ${what}.`,
  );
}

/** The Keras model config inside `modelTopology`, after refusing other formats by name. */
function checkTopology(topology: unknown, where: string, file?: Record<string, unknown>): LayerConfig {
  const record = (file ?? topology) as Record<string, unknown> | null;
  if (record && typeof record === 'object') {
    if (record.format === 'attrib-model/1' || (Array.isArray(record.nodes) && 'output' in record))
      throw wrongFormat(
        where,
        "an Attrib model (attrib-model/1); read it with loadModel from '@attrib/core'",
      );
    if (record.format === 'graph-model' || (topology as Record<string, unknown> | null)?.node !== undefined)
      throw wrongFormat(
        where,
        'a tfjs graph model (tf.loadGraphModel); Attrib imports layers models (Keras) and ONNX, not graph models',
      );
  }
  const t = topology as Record<string, unknown> | null;
  const config = (t?.model_config ?? t) as LayerConfig | null;
  if (!config || typeof config !== 'object' || typeof config.class_name !== 'string' || !config.config)
    throw wrongFormat(where, 'JSON without a Keras model topology (modelTopology.model_config)');
  return config;
}
