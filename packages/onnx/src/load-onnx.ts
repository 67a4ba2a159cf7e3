import { invalidArgument, type Graph } from '@attrib/core';
import { importOnnx, type ImportOnnxOptions } from './import-onnx.js';

export type OnnxSource = string | URL | Blob | Uint8Array | ArrayBuffer;

const isNode = () =>
  typeof process !== 'undefined' &&
  typeof (process as { versions?: { node?: string } }).versions?.node === 'string';

/** The bytes of an .onnx file: a path (Node), a URL (fetch), a `File`/`Blob` (browser), or bytes. */
async function readBytes(source: OnnxSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return new Uint8Array(await source.arrayBuffer());
  const isUrl =
    source instanceof URL ||
    (typeof source === 'string' && /^(https?|blob|data):/i.test(source)) ||
    !isNode();
  if (source instanceof URL && source.protocol === 'file:' && isNode()) source = source.pathname;
  else if (isUrl && (typeof source === 'string' || source instanceof URL)) {
    const response = await fetch(source);
    if (!response.ok)
      throw invalidArgument(
        'loadOnnx',
        'source',
        'a URL that answers 200',
        `${source} (HTTP ${response.status})`,
      );
    return new Uint8Array(await response.arrayBuffer());
  }
  if (typeof source !== 'string')
    throw invalidArgument(
      'loadOnnx',
      'source',
      'a path, a URL, a File/Blob, a Uint8Array or an ArrayBuffer',
      source,
    );
  // A string in Node is a file path. The import is dynamic so browser bundles never see node:fs.
  const { readFile } = await import('node:fs/promises');
  return new Uint8Array(await readFile(source));
}

/** Reads an ONNX model from a path (Node), a URL, a `File`/`Blob` or bytes; see `importOnnx`. */
export async function loadOnnx(source: OnnxSource, options: ImportOnnxOptions = {}): Promise<Graph> {
  return importOnnx(await readBytes(source), options);
}
