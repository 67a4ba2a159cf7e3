import { expectTypedError } from '@attrib/test-utils';
import { colorBar } from './heatmap.js';
import { COLOR_MAP_NAMES, colorMap, toBytes, zennitColorMap } from './colormaps.js';

// References: Zennit's nodes worked out by hand from zennit/image.py's CMAPS sources and zennit/cmap.py's
// rules (unindexed colours at int(a·(1−α) + b·α)), matplotlib's from `_cm.py` / `_cm_listed.py` data and
// its 256-entry lookup (v → entry floor(256·v)); each value below is written out, not computed by the map.
const mix = (a: number, b: number, t: number) => a + (b - a) * t;

describe('Zennit palettes', () => {
  const cases: [string, number, [number, number, number]][] = [
    ['gray', 0.25, [0.25, 0.25, 0.25]],
    ['wred', 0.5, [1, 0.5, 0.5]],
    ['wblue', 0.5, [0.5, 0.5, 1]],
    // hot = 000@0, f00@85, ff0@170, fff@255
    ['hot', 0.25, [63.75 / 85, 0, 0]],
    ['hot', 0.5, [1, 0.5, 0]],
    // cold = 000@0, 00f@127 (int(127.5)), 0ff@255: v=0.5 lies just past the blue node.
    ['cold', 0.5, [0, 0.5 / 128, 1]],
    // coldnhot = 0ff@0, 00f@64, 000@128, f00@170, ff0@212, fff@255
    ['coldnhot', 0, [0, 1, 1]],
    ['coldnhot', 0.5, [0, 0, mix(1, 0, 63.5 / 64)]],
    ['coldnhot', 0.75, [1, 21.25 / 42, 0]],
    ['coldnhot', 1, [1, 1, 1]],
    // bwr = 00f@0, fff@128, f00@255: 0.5 (x = 127.5) is not quite white.
    ['bwr', 0, [0, 0, 1]],
    ['bwr', 0.5, [127.5 / 128, 127.5 / 128, 1]],
    ['bwr', 0.75, [1, 1 - 63.25 / 127, 1 - 63.25 / 127]],
    ['bwr', 1, [1, 0, 0]],
    ['france', 0, [0, 0x55 / 255, 0xa4 / 255]],
    [
      'seismic',
      0.5,
      [mix(0, 0xd0, 127.5 / 128) / 255, mix(0, 0xd0, 127.5 / 128) / 255, mix(0xd0, 0xd0, 1) / 255],
    ],
  ];
  it.each(cases)('%s(%p)', (name, v, expected) => {
    const got = colorMap(name).at(v);
    expected.forEach((e, c) => expect(got[c]).toBeCloseTo(e, 12));
  });

  it('clips outside [0, 1]', () => {
    expect(colorMap('bwr').at(-3)).toEqual(colorMap('bwr').at(0));
    expect(colorMap('bwr').at(7)).toEqual(colorMap('bwr').at(1));
  });

  it("bytes match Zennit's palette(): bwr entries 0, 127, 128, 255", () => {
    const bwr = colorMap('bwr');
    expect(toBytes(bwr.at(0))).toEqual([0, 0, 255]);
    expect(toBytes(bwr.at(127 / 255))).toEqual([253, 253, 255]); // 255·127/128 = 253.0078
    expect(toBytes(bwr.at(128 / 255))).toEqual([255, 255, 255]);
    expect(toBytes(bwr.at(1))).toEqual([255, 0, 0]);
  });

  it('compiles Zennit source given as a string, and refuses malformed source', async () => {
    expect(colorMap('000,80:f00,fff').at(128 / 255)).toEqual([1, 0, 0]);
    await expectTypedError('zennitColorMap', 'source', () => zennitColorMap('0f,zz'));
    await expectTypedError('zennitColorMap', 'source', () => zennitColorMap('fff'));
    await expectTypedError('zennitColorMap', 'source', () => zennitColorMap('80:000,40:fff'));
    await expectTypedError('colorMap', 'map', () => colorMap('jet'));
  });
});

describe('matplotlib maps', () => {
  const cases: [string, number, [number, number, number]][] = [
    ['viridis', 0, [0.267004, 0.004874, 0.329415]],
    ['viridis', 0.5, [0.127568, 0.566949, 0.550556]],
    ['viridis', 1, [0.993248, 0.906157, 0.143936]],
    // matplotlib: cm.Blues(0.5) = (0.41708573625528644, 0.6806305267204922, 0.8382314494425221)
    ['Blues', 0.5, [0.41708573625528644, 0.6806305267204922, 0.8382314494425221]],
    ['Blues', 0, [0xf7 / 255, 0xfb / 255, 1]],
    // entry 128 sits 128/255·10 − 5 of the way from f7f7f7 to d1e5f0
    [
      'RdBu',
      0.5,
      [
        mix(0xf7, 0xd1, 1280 / 255 - 5) / 255,
        mix(0xf7, 0xe5, 1280 / 255 - 5) / 255,
        mix(0xf7, 0xf0, 1280 / 255 - 5) / 255,
      ],
    ],
    ['RdBu', 0, [0x67 / 255, 0, 0x1f / 255]],
    ['mpl:bwr', 0.5, [1, 254 / 255, 254 / 255]],
    ['Reds', 1, [0x67 / 255, 0, 0x0d / 255]],
    ['Greens', 0, [0xf7 / 255, 0xfc / 255, 0xf5 / 255]],
    ['RdWhGn', 1, [0, 128 / 255, 0]],
    ['RdWhGn', 0, [1, 0, 0]],
  ];
  it.each(cases)('%s(%p)', (name, v, expected) => {
    const got = colorMap(name).at(v);
    expected.forEach((e, c) => expect(got[c]).toBeCloseTo(e, 6));
  });

  it('every listed name resolves', () => {
    for (const name of COLOR_MAP_NAMES) expect(colorMap(name).name).toBe(name);
  });
});

describe('colorBar', () => {
  it('samples the map from low (left) to high (right), and bottom to top when vertical', () => {
    const bar = colorBar('bwr', { length: 256, thickness: 3 });
    expect([bar.width, bar.height]).toEqual([256, 3]);
    const pixel = (x: number, y: number) => [...bar.data.subarray((y * 256 + x) * 4, (y * 256 + x) * 4 + 4)];
    expect(pixel(0, 2)).toEqual([0, 0, 255, 255]);
    expect(pixel(127, 1)).toEqual([253, 253, 255, 255]);
    expect(pixel(255, 0)).toEqual([255, 0, 0, 255]);
    const vertical = colorBar('bwr', { length: 256, thickness: 2, orientation: 'vertical' });
    expect([...vertical.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    expect([...vertical.data.subarray(255 * 2 * 4, 255 * 2 * 4 + 4)]).toEqual([0, 0, 255, 255]);
  });
});
