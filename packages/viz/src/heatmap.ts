import { invalidArgument } from '@attrib/core';
import type * as tf from '@tensorflow/tfjs-core';
import { colorMap, toBytes, type ColorMap, type ColorMapName } from './colormaps.js';
import { createImage, type RgbaImage } from './image.js';

/** One sample's attribution on the host: `values` row-major over `[height, width, channels]` (NHWC). */
export interface AttributionMap {
  readonly values: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Which evidence to show (Captum's `sign`): both signs, only positive, only negative (as magnitude), |·|. */
export type Sign = 'all' | 'positive' | 'negative' | 'absolute';
/** How channels become one value a pixel: Captum and Zennit sum; L2 norm; the signed channel of largest |·|. */
export type ChannelReduction = 'sum' | 'l2' | 'maxAbs';

export interface NormalizeOptions {
  sign?: Sign;
  reduce?: ChannelReduction;
  /**
   * Percent of the total |attribution| mass left above the scale (Captum's `outlier_perc`, default 2):
   * the scale is the smallest sorted |value| whose cumulative sum reaches (100 − p)% of the total, so a
   * few extreme pixels do not wash out the rest. 0 scales by the maximum |value| (Zennit's symmetric norm).
   */
  outlierPercentile?: number;
}

/** Values in [−1, 1] for sign 'all' (0 stays 0: symmetric around zero), in [0, 1] otherwise. */
export interface NormalizedMap {
  readonly values: Float64Array;
  readonly height: number;
  readonly width: number;
  readonly sign: Sign;
  /** The attribution value that maps to ±1 (before clipping). */
  readonly scale: number;
}

const SIGNS: readonly Sign[] = ['all', 'positive', 'negative', 'absolute'];
const REDUCTIONS: readonly ChannelReduction[] = ['sum', 'l2', 'maxAbs'];

function checkMap(map: AttributionMap, fn: string): void {
  const { height, width, channels } = map;
  if (
    ![height, width, channels].every((d) => Number.isInteger(d) && d > 0) ||
    map.values.length !== height * width * channels
  )
    throw invalidArgument(
      fn,
      'map',
      `values of length height·width·channels (${height}·${width}·${channels})`,
      map.values.length,
    );
}

/** Channel reduction: one value per pixel. */
export function reduceChannels(map: AttributionMap, reduce: ChannelReduction = 'sum'): Float64Array {
  checkMap(map, 'reduceChannels');
  if (!REDUCTIONS.includes(reduce))
    throw invalidArgument('reduceChannels', 'reduce', `one of ${REDUCTIONS.join(', ')}`, reduce);
  const { channels } = map;
  const out = new Float64Array(map.height * map.width);
  for (let p = 0; p < out.length; p += 1) {
    let acc = 0;
    for (let c = 0; c < channels; c += 1) {
      const v = map.values[p * channels + c]!;
      if (reduce === 'sum') acc += v;
      else if (reduce === 'l2') acc += v * v;
      else if (Math.abs(v) > Math.abs(acc)) acc = v;
    }
    out[p] = reduce === 'l2' ? Math.sqrt(acc) : acc;
  }
  return out;
}

/**
 * Captum's `_cumulative_sum_threshold(values, percentile)`: sort ascending, take the first value whose
 * running sum reaches `percentile`% of the total.
 */
export function cumulativeSumThreshold(values: ArrayLike<number>, percentile: number): number {
  if (!(percentile >= 0 && percentile <= 100))
    throw invalidArgument('cumulativeSumThreshold', 'percentile', 'a number in [0, 100]', percentile);
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  let running = 0;
  for (const v of sorted) {
    running += v;
    if (running >= total * 0.01 * percentile) return v;
  }
  return sorted[sorted.length - 1]!;
}

/** Sign selection, channel reduction and outlier-clipped scaling: Captum's `_normalize_image_attr`. */
export function normalizeAttribution(map: AttributionMap, options: NormalizeOptions = {}): NormalizedMap {
  const fn = 'normalizeAttribution';
  for (const key of Object.keys(options))
    if (!['sign', 'reduce', 'outlierPercentile'].includes(key))
      throw invalidArgument(fn, key, 'one of sign, reduce, outlierPercentile', key, 'unknown-option');
  const sign = options.sign ?? 'all';
  const outlier = options.outlierPercentile ?? 2;
  if (!SIGNS.includes(sign)) throw invalidArgument(fn, 'sign', `one of ${SIGNS.join(', ')}`, sign);
  if (!(outlier >= 0 && outlier < 100))
    throw invalidArgument(fn, 'outlierPercentile', 'a number in [0, 100)', outlier);
  const reduced = reduceChannels(map, options.reduce ?? 'sum');
  for (const v of reduced)
    if (!Number.isFinite(v)) throw invalidArgument(fn, 'map', 'finite values', v, 'non-finite-input');
  const selected = reduced.map((v) =>
    sign === 'all'
      ? v
      : sign === 'positive'
        ? Math.max(v, 0)
        : sign === 'negative'
          ? Math.max(-v, 0)
          : Math.abs(v),
  );
  const scale = cumulativeSumThreshold(selected.map(Math.abs), 100 - outlier);
  // An all-zero map stays zero (Captum warns and divides by zero into NaN; a blank picture is the honest one).
  const values = selected.map((v) => (scale === 0 ? 0 : Math.min(Math.max(v / scale, -1), 1)));
  return { values, height: map.height, width: map.width, sign, scale };
}

/**
 * The default map per sign, as Captum draws them: 'all' on a diverging map (Zennit's bwr: blue
 * negative, white zero, red positive), positive Greens, negative Reds, absolute Blues.
 */
export function defaultColorMap(sign: Sign): ColorMapName {
  return sign === 'all' ? 'bwr' : sign === 'positive' ? 'Greens' : sign === 'negative' ? 'Reds' : 'Blues';
}

/** Colours a normalised map: sign 'all' puts −1…1 on 0…1 (0 at the centre), the others 0…1 as is. */
export function colorize(
  map: NormalizedMap,
  cmap: ColorMapName | ColorMap | (string & {}) = defaultColorMap(map.sign),
): RgbaImage {
  const lookup = colorMap(cmap);
  const image = createImage(map.width, map.height);
  map.values.forEach((v, p) => {
    const [r, g, b] = toBytes(lookup.at(map.sign === 'all' ? (v + 1) / 2 : v));
    image.data.set([r, g, b, 255], p * 4);
  });
  return image;
}

export interface HeatmapOptions extends NormalizeOptions {
  cmap?: ColorMapName | ColorMap | (string & {});
}

/** Attribution → coloured RGBA heat map (normalizeAttribution, then colorize). */
export function heatmap(map: AttributionMap, options: HeatmapOptions = {}): RgbaImage {
  const { cmap, ...normalize } = options;
  return colorize(normalizeAttribution(map, normalize), cmap);
}

/**
 * One AttributionMap per sample of an NHWC tensor `[N, H, W, C]` (or `[N, H, W]`), read once with
 * `data()`; the tensor stays the caller's.
 */
export async function attributionMaps(attribution: tf.Tensor): Promise<AttributionMap[]> {
  const { shape } = attribution;
  if (shape.length !== 3 && shape.length !== 4)
    throw invalidArgument(
      'attributionMaps',
      'attribution',
      'an NHWC tensor [N, H, W, C] or [N, H, W]',
      attribution,
    );
  const [n, height, width] = shape as [number, number, number];
  const channels = shape.length === 4 ? shape[3]! : 1;
  const values = await attribution.data();
  const size = height * width * channels;
  return Array.from({ length: n }, (_, i) => ({
    values: values.subarray(i * size, (i + 1) * size),
    height,
    width,
    channels,
  }));
}

export type OverlayMode = 'blend' | 'mask' | 'alpha';

export interface OverlayOptions {
  /** Weight of the heat map in 'blend' (Captum's `alpha_overlay`, default 0.5). */
  alpha?: number;
  cmap?: ColorMapName | ColorMap | (string & {});
}

/**
 * The heat map on the input image, as Captum's `visualize_image_attr` methods:
 * - 'blend' (`blended_heat_map`): the image in grey, the coloured map over it with weight `alpha`;
 * - 'mask' (`masked_image`): the image times |value|, so unimportant pixels go black;
 * - 'alpha' (`alpha_scaling`): the image with opacity |value|.
 * The image must have the map's size (resize it first with `resizeImage`).
 */
export function overlay(
  image: RgbaImage,
  map: NormalizedMap,
  mode: OverlayMode = 'blend',
  options: OverlayOptions = {},
): RgbaImage {
  const fn = 'overlay';
  if (image.width !== map.width || image.height !== map.height)
    throw invalidArgument(
      fn,
      'image',
      `the map's size ${map.width}×${map.height}`,
      `${image.width}×${image.height}`,
    );
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw invalidArgument(fn, 'alpha', 'a number in [0, 1]', alpha);
  if (!['blend', 'mask', 'alpha'].includes(mode))
    throw invalidArgument(fn, 'mode', "'blend', 'mask' or 'alpha'", mode);
  const out = createImage(image.width, image.height);
  const heat = mode === 'blend' ? colorize(map, options.cmap) : undefined;
  for (let p = 0; p < map.values.length; p += 1) {
    const o = p * 4;
    const weight = Math.abs(map.values[p]!);
    if (heat !== undefined) {
      const grey = (image.data[o]! + image.data[o + 1]! + image.data[o + 2]!) / 3;
      for (let c = 0; c < 3; c += 1)
        out.data[o + c] = Math.round(grey * (1 - alpha) + heat.data[o + c]! * alpha);
      out.data[o + 3] = 255;
    } else if (mode === 'mask') {
      for (let c = 0; c < 3; c += 1) out.data[o + c] = Math.round(image.data[o + c]! * weight);
      out.data[o + 3] = 255;
    } else {
      out.data.set(image.data.subarray(o, o + 3), o);
      out.data[o + 3] = Math.round(255 * weight);
    }
  }
  return out;
}

/**
 * A colour bar: the map sampled along its length, low values at the left (horizontal) or bottom
 * (vertical), as matplotlib's `colorbar` draws it.
 */
export function colorBar(
  cmap: ColorMapName | ColorMap | (string & {}),
  options: { length?: number; thickness?: number; orientation?: 'horizontal' | 'vertical' } = {},
): RgbaImage {
  const lookup = colorMap(cmap);
  const length = options.length ?? 256;
  const thickness = options.thickness ?? 12;
  const vertical = options.orientation === 'vertical';
  const image = vertical ? createImage(thickness, length) : createImage(length, thickness);
  for (let i = 0; i < length; i += 1) {
    const color = [...toBytes(lookup.at(length === 1 ? 0.5 : i / (length - 1))), 255];
    for (let j = 0; j < thickness; j += 1) {
      const [x, y] = vertical ? [j, length - 1 - i] : [i, j];
      image.data.set(color, (y * image.width + x) * 4);
    }
  }
  return image;
}
