/**
 * How an imported tensor's values relate to the ONNX tensor they stand for. Everything is per sample:
 * the batch axis is axis 0 on both sides and never moves. With `onnx` the ONNX value (per-sample
 * shape `shape`), the Attrib tensor is
 *
 *     reshape(transpose(reshape(onnx, source), perm), attrib)
 *
 * `perm` permutes the axes of `source` (per-sample axes, 0-based). A plain value has
 * `source = shape = attrib` and the identity `perm`; a channels-last image has `source = shape`
 * `[C,H,W]`, `perm [1,2,0]`, `attrib [H,W,C]`. A flatten of a channels-last map keeps
 * `source [C,H,W]` and `perm`, with `attrib [H·W·C]`: the features are in NHWC order, which is why a
 * following linear layer gets its weight rows permuted. Transpose, Squeeze, Unsqueeze and most
 * Reshapes only change this bookkeeping; a node is emitted when a consumer needs another layout.
 */
export interface Layout {
  readonly source: readonly number[];
  readonly perm: readonly number[];
  readonly attrib: readonly number[];
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
export const identityPerm = (rank: number) => Array.from({ length: rank }, (_, i) => i);
export const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);
export const permute = <T>(values: readonly T[], perm: readonly number[]) => perm.map((p) => values[p]);
export function invert(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

export function plain(shape: readonly number[]): Layout {
  return { source: shape, perm: identityPerm(shape.length), attrib: shape };
}

/** Channels-last for a per-sample shape `[C, ...spatial]`: perm `[1, …, r−1, 0]`. */
export function channelsLast(shape: readonly number[]): Layout {
  const perm = [...identityPerm(shape.length).slice(1), 0];
  return { source: shape, perm, attrib: permute(shape, perm) };
}

/** The layout is a pure axis permutation of `shape` (no pending reshape on either side). */
export function isPermutationOf(layout: Layout, shape: readonly number[]): boolean {
  return sameShape(layout.source, shape) && sameShape(layout.attrib, permute(layout.source, layout.perm));
}

/** For each Attrib flat position (per sample), the ONNX flat position it holds. */
export function indexMap(layout: Layout): Int32Array {
  const { source, perm } = layout;
  const strides = source.map((_, i) => size(source.slice(i + 1)));
  const permutedShape = permute(source, perm);
  const permutedStrides = permute(strides, perm);
  const map = new Int32Array(size(source));
  const index = new Array<number>(perm.length).fill(0);
  for (let flat = 0; flat < map.length; flat++) {
    map[flat] = index.reduce((acc, v, axis) => acc + v * permutedStrides[axis], 0);
    for (let axis = index.length - 1; axis >= 0; axis--) {
      if (++index[axis] < permutedShape[axis]) break;
      index[axis] = 0;
    }
  }
  return map;
}

/** Both layouts put the same ONNX values at the same Attrib positions with the same Attrib shape. */
export function sameLayout(a: Layout, b: Layout): boolean {
  if (!sameShape(a.attrib, b.attrib)) return false;
  if (sameShape(a.source, b.source) && a.perm.every((p, i) => p === b.perm[i])) return true;
  const ma = indexMap(a);
  const mb = indexMap(b);
  return ma.every((v, i) => v === mb[i]);
}

export function isTrivial(layout: Layout): boolean {
  return indexMap(layout).every((v, i) => v === i);
}
