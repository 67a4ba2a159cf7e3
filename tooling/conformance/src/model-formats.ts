import { readFileSync } from 'node:fs';
import { loadModel, type Graph } from '@attrib/core';
import { loadOnnx } from '@attrib/onnx';

export type ModelFormat = 'attrib' | 'onnx' | 'layers';

/** Where a fixture model lives in `models/` for one format, and how it becomes a graph. */
export interface ModelLoader {
  /** The file under `models/` for model `id`. */
  file(id: string): string;
  load(path: string): Graph | Promise<Graph>;
}

/**
 * One entry per `--model-format`. The fixtures' inputs, options and expected values are NHWC, so the
 * ONNX files (NCHW, FORMAT.md §4) are imported with the importer's channels-last conversion.
 */
export const modelLoaders: Readonly<Record<ModelFormat, ModelLoader>> = {
  attrib: { file: (id) => `${id}.json`, load: (path) => loadModel(JSON.parse(readFileSync(path, 'utf8'))) },
  onnx: { file: (id) => `${id}.onnx`, load: (path) => loadOnnx(path, { layout: 'nhwc' }) },
  // The tfjs-layers importer (@attrib/tfjs-layers) plugs in here.
  layers: {
    file: (id) => `${id}.layers/model.json`,
    load: () => {
      throw new Error('the tfjs-layers loader is not plugged into the conformance runner yet');
    },
  },
};

export const modelFormats = Object.keys(modelLoaders) as ModelFormat[];
