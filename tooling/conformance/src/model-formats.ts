import { readFileSync } from 'node:fs';
import { loadModel, type Graph } from '@attrib/core';
import { loadOnnx } from '@attrib/onnx';
import { loadLayersModel } from '@attrib/tfjs-layers';

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
  // FORMAT.md §4: a padded conv node is written as `<node>_pad` (ZeroPadding2D) + a 'valid' Conv2D, and
  // the tensor entering the node is the input of `<node>_pad`; folding the padding into the conv gives
  // exactly the fixture's node (same name, same input).
  layers: {
    file: (id) => `${id}.layers/model.json`,
    load: (path) => loadLayersModel(path, { foldZeroPadding: true }),
  },
};

export const modelFormats = Object.keys(modelLoaders) as ModelFormat[];
