import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GraphError } from './errors.js';
import type { Graph } from './graph.js';
import { loadModel, serializeModel, type JsonModel, type SerializeModelOptions } from './load-model.js';

/*
 * The model file on disk, for Node only (`@attrib/core/node`), so the main entry never imports
 * node:fs and bundles for the browser as it is.
 */

/**
 * Reads an `attrib-model/1` JSON file and, when it has a weights manifest, the weights file named by
 * its `path`, relative to the JSON file.
 */
export async function loadModelFile(path: string): Promise<Graph> {
  const text = await readFile(path, 'utf8');
  let model: JsonModel;
  try {
    model = JSON.parse(text) as JsonModel;
  } catch (error) {
    throw new GraphError('bad-node', `loadModelFile: '${path}' is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (model?.weights === undefined) return loadModel(model);
  if (typeof model.weights.path !== 'string') {
    throw new GraphError('bad-weights', `loadModelFile: '${path}' has a weights manifest without a 'path'`);
  }
  const weights = await readFile(join(dirname(path), model.weights.path));
  return loadModel(model, { weights });
}

/**
 * Writes `graph` to `path` (JSON) and, for binary weights (the default), the weights file beside it:
 * `model.json` → `model.bin` unless `options.weightsPath` says otherwise. Returns the paths written.
 */
export async function saveModelFile(
  graph: Graph,
  path: string,
  options: SerializeModelOptions = {},
): Promise<{ modelPath: string; weightsPath?: string }> {
  const weightsPath = options.weightsPath ?? `${basename(path).replace(/\.json$/, '')}.bin`;
  const { model, weights } = await serializeModel(graph, { ...options, weightsPath });
  await writeFile(path, JSON.stringify(model));
  if (!weights) return { modelPath: path };
  const written = join(dirname(path), weightsPath);
  await writeFile(written, weights);
  return { modelPath: path, weightsPath: written };
}
