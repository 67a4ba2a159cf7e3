import { invalidArgument } from '@attrib/core';
import {
  convertIndexedToRgb,
  decode as decodePngFile,
  encode as encodePngFile,
  hasPngSignature,
} from 'fast-png';
import jpeg from 'jpeg-js';

/** An 8-bit RGBA picture, row-major, 4 bytes a pixel: what PNG, canvas ImageData and the CLI share. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export function createImage(
  width: number,
  height: number,
  fill: readonly number[] = [0, 0, 0, 0],
): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw invalidArgument('createImage', 'width/height', 'positive integers', [width, height]);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(fill, i);
  return { width, height, data };
}

/** PNG bytes of an RGBA image (fast-png, 8-bit RGBA). */
export function encodePng(image: RgbaImage): Uint8Array {
  return encodePngFile({ width: image.width, height: image.height, data: image.data, channels: 4, depth: 8 });
}

/**
 * PNG or JPEG bytes to RGBA (fast-png, jpeg-js; picked by the file signature, not the name).
 * Grey, grey+alpha, RGB, palette and 16-bit PNGs all become 8-bit RGBA.
 */
export function decodeImage(bytes: Uint8Array): RgbaImage {
  if (hasPngSignature(bytes)) {
    const png = decodePngFile(bytes);
    const rgb = png.palette === undefined ? png.data : convertIndexedToRgb(png);
    const channels = png.palette === undefined ? png.channels : png.palette[0]!.length;
    const shift = png.depth === 16 ? 8 : 0;
    const out = new Uint8ClampedArray(png.width * png.height * 4);
    for (let p = 0; p < png.width * png.height; p += 1) {
      const at = (c: number) => (rgb[p * channels + c]! >> shift) & 0xff;
      const grey = channels <= 2;
      out[p * 4] = at(0);
      out[p * 4 + 1] = grey ? at(0) : at(1);
      out[p * 4 + 2] = grey ? at(0) : at(2);
      out[p * 4 + 3] = channels === 2 ? at(1) : channels === 4 ? at(3) : 255;
    }
    return { width: png.width, height: png.height, data: out };
  }
  if (bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data) };
  }
  throw invalidArgument(
    'decodeImage',
    'bytes',
    'PNG or JPEG file contents',
    `${bytes.length} bytes of neither`,
  );
}

/** Bilinear resize (pixel centres aligned, as PIL's and tf.image's `halfPixelCenters`). */
export function resizeImage(image: RgbaImage, width: number, height: number): RgbaImage {
  const out = createImage(width, height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y += 1) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x += 1) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const tx = fx - x0;
      for (let c = 0; c < 4; c += 1) {
        const v = (xx: number, yy: number) => image.data[(yy * image.width + xx) * 4 + c]!;
        const top = v(x0, y0) * (1 - tx) + v(x1, y0) * tx;
        const bottom = v(x0, y1) * (1 - tx) + v(x1, y1) * tx;
        out.data[(y * width + x) * 4 + c] = Math.round(top * (1 - ty) + bottom * ty);
      }
    }
  }
  return out;
}

/** Nearest-neighbour upscale by an integer factor (keeps a 16×16 heat map's cells sharp). */
export function scaleImage(image: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1)
    throw invalidArgument('scaleImage', 'factor', 'a positive integer', factor);
  const out = createImage(image.width * factor, image.height * factor);
  for (let y = 0; y < out.height; y += 1)
    for (let x = 0; x < out.width; x += 1) {
      const from = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * 4;
      out.data.set(image.data.subarray(from, from + 4), (y * out.width + x) * 4);
    }
  return out;
}

/** Copy `source` into `target` with its top-left corner at (x, y), clipped to the target. */
export function paste(target: RgbaImage, source: RgbaImage, x: number, y: number): void {
  for (let row = 0; row < source.height; row += 1) {
    const ty = y + row;
    if (ty < 0 || ty >= target.height) continue;
    const from = Math.max(0, -x);
    const to = Math.min(source.width, target.width - x);
    if (to <= from) continue;
    target.data.set(
      source.data.subarray((row * source.width + from) * 4, (row * source.width + to) * 4),
      (ty * target.width + x + from) * 4,
    );
  }
}

/** A browser `ImageData` (for `ctx.putImageData`); throws where the DOM class does not exist. */
export function toImageData(image: RgbaImage): ImageData {
  const ImageDataClass = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  if (ImageDataClass === undefined)
    throw invalidArgument(
      'toImageData',
      'globalThis.ImageData',
      'present (a browser or a canvas polyfill)',
      undefined,
    );
  return new ImageDataClass(image.data, image.width, image.height);
}
