import { expectTypedError } from '@attrib/test-utils';
import { encode as encodePngFile } from 'fast-png';
import jpeg from 'jpeg-js';
import { createImage, decodeImage, encodePng, resizeImage, scaleImage, toImageData } from './image.js';
import { grid, renderText } from './text.js';

describe('PNG and JPEG', () => {
  it('round-trips RGBA through PNG bytes', () => {
    const image = createImage(3, 2);
    image.data.forEach((_, i) => (image.data[i] = (i * 37) % 256));
    const bytes = encodePng(image);
    expect([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const back = decodeImage(bytes);
    expect([back.width, back.height]).toEqual([3, 2]);
    expect([...back.data]).toEqual([...image.data]);
  });

  it('decodes grey and 16-bit PNGs to RGBA', () => {
    const grey = encodePngFile({
      width: 2,
      height: 1,
      data: new Uint8Array([10, 250]),
      channels: 1,
      depth: 8,
    });
    expect([...decodeImage(grey).data]).toEqual([10, 10, 10, 255, 250, 250, 250, 255]);
    const deep = encodePngFile({
      width: 1,
      height: 1,
      data: new Uint16Array([0x1234, 0xff00, 0x0100]),
      channels: 3,
      depth: 16,
    });
    expect([...decodeImage(deep).data]).toEqual([0x12, 0xff, 0x01, 255]);
  });

  it('decodes JPEG (lossy: a flat colour comes back within a few levels)', () => {
    const data = new Uint8Array(8 * 8 * 4);
    for (let i = 0; i < data.length; i += 4) data.set([200, 40, 90, 255], i);
    const bytes = jpeg.encode({ width: 8, height: 8, data }, 95).data;
    const back = decodeImage(new Uint8Array(bytes));
    expect([back.width, back.height]).toEqual([8, 8]);
    [200, 40, 90, 255].forEach((v, c) => expect(Math.abs(back.data[c]! - v)).toBeLessThanOrEqual(4));
  });

  it('refuses bytes that are neither', async () => {
    await expectTypedError('decodeImage', 'bytes', () =>
      decodeImage(new TextEncoder().encode('{"not": "an image"}')),
    );
  });
});

describe('resize and scale', () => {
  it('bilinear with half-pixel centres: [0, 255] → [0, 64, 191, 255]', () => {
    const image = createImage(2, 1);
    image.data.set([0, 0, 0, 255, 255, 255, 255, 255]);
    const out = resizeImage(image, 4, 1);
    expect([0, 1, 2, 3].map((x) => out.data[x * 4])).toEqual([0, 64, 191, 255]);
  });
  it('scaleImage repeats each pixel factor×factor times', () => {
    const image = createImage(2, 1);
    image.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = scaleImage(image, 2);
    expect([out.width, out.height]).toEqual([4, 2]);
    expect([...out.data.subarray(16, 32)]).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8]);
  });
});

describe('text and grids', () => {
  it("draws 'I' as a 3×5 glyph: full top row, centre column", () => {
    const text = renderText('I', { scale: 1 });
    const ink = (x: number, y: number) => text.data[(y * text.width + x) * 4] === 0;
    expect([text.width, text.height]).toEqual([3, 5]);
    expect([0, 1, 2].map((x) => ink(x, 0))).toEqual([true, true, true]);
    expect([0, 1, 2].map((x) => ink(x, 2))).toEqual([false, true, false]);
  });
  it('lays panels out left to right under their titles', () => {
    const red = createImage(4, 4, [255, 0, 0, 255]);
    const blue = createImage(4, 4, [0, 0, 255, 255]);
    const out = grid(
      [
        { image: red, title: 'A' },
        { image: blue, title: 'B' },
      ],
      { padding: 2, textScale: 1 },
    );
    // cell width max(4, 3) = 4; title 5 + 1 tall; 3 paddings across, 2 down
    expect([out.width, out.height]).toEqual([2 * 4 + 3 * 2, 4 + 6 + 2 * 2]);
    const at = (x: number, y: number) => [
      ...out.data.subarray((y * out.width + x) * 4, (y * out.width + x) * 4 + 4),
    ];
    expect(at(2, 2 + 6)).toEqual([255, 0, 0, 255]);
    expect(at(2 + 4 + 2, 2 + 6)).toEqual([0, 0, 255, 255]);
  });
});

describe('toImageData', () => {
  it("builds the browser's ImageData from the RGBA bytes, and refuses where there is none", async () => {
    const image = createImage(2, 1, [1, 2, 3, 4]);
    await expectTypedError('toImageData', 'globalThis.ImageData', () => toImageData(image));
    class FakeImageData {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    }
    (globalThis as { ImageData?: unknown }).ImageData = FakeImageData;
    try {
      const made = toImageData(image) as unknown as FakeImageData;
      expect([made.width, made.height, [...made.data]]).toEqual([2, 1, [1, 2, 3, 4, 1, 2, 3, 4]]);
    } finally {
      delete (globalThis as { ImageData?: unknown }).ImageData;
    }
  });
});
