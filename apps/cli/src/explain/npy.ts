/**
 * NumPy `.npy` (format 1.0, little-endian float32 or float64, C order): enough to hand attributions to
 * Python (`np.load`) and to read inputs written by `np.save`.
 */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // The header (magic 6 + version 2 + length 2 + text + '\n') is padded to a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + values.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), total);
  return out;
}

export function decodeNpy(bytes: Uint8Array, where: string): { values: Float32Array; shape: number[] } {
  const magic = new TextDecoder().decode(bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY')
    throw new Error(`${where} is not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6];
  const headerLength =
    major === 1
      ? bytes[8]! | (bytes[9]! << 8)
      : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (fortran)
    throw new Error(`${where}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const body = bytes.slice(start + headerLength);
  const count = shape.reduce((a, b) => a * b, 1);
  if (descr === '<f4') return { values: new Float32Array(body.buffer, 0, count), shape };
  if (descr === '<f8') return { values: Float32Array.from(new Float64Array(body.buffer, 0, count)), shape };
  throw new Error(`${where}: dtype '${descr}' is not supported (float32 '<f4' or float64 '<f8')`);
}
