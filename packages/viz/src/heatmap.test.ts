import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expectTypedError } from '@attrib/test-utils';
import {
  attributionMaps,
  colorize,
  cumulativeSumThreshold,
  heatmap,
  normalizeAttribution,
  overlay,
  reduceChannels,
  type AttributionMap,
} from './heatmap.js';
import { createImage } from './image.js';

const map = (values: number[], height: number, width: number, channels = 1): AttributionMap => ({
  values,
  height,
  width,
  channels,
});

describe('reduceChannels', () => {
  // two pixels of three channels: (1, −2, 2) and (−3, 0, 1)
  const twoPixels = map([1, -2, 2, -3, 0, 1], 1, 2, 3);
  it('sum, L2 and signed max-abs per pixel', () => {
    expect([...reduceChannels(twoPixels, 'sum')]).toEqual([1, -2]);
    expect([...reduceChannels(twoPixels, 'l2')]).toEqual([3, Math.sqrt(10)]);
    // first pixel: −2 and 2 tie in |·|; the first met wins
    expect([...reduceChannels(twoPixels, 'maxAbs')]).toEqual([-2, -3]);
  });
  it('refuses a length that is not height·width·channels, and unknown reductions', async () => {
    await expectTypedError('reduceChannels', 'map', () => reduceChannels(map([1, 2, 3], 1, 2)));
    await expectTypedError('reduceChannels', 'reduce', () => reduceChannels(twoPixels, 'mean' as 'sum'));
  });
});

describe('normalisation and clipping', () => {
  it("cumulativeSumThreshold is Captum's: first sorted value whose running sum reaches p% of the total", () => {
    expect(cumulativeSumThreshold([4, 1, 3, 2], 98)).toBe(4); // sums 1, 3, 6, 10 ≥ 9.8
    expect(cumulativeSumThreshold([4, 1, 3, 2], 50)).toBe(3); // 6 ≥ 5
  });

  it('clips the top 2% of the mass: 1…100 scale by 99, so 100 and 99 both reach 1', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // Σ 1…99 = 4950 ≥ 0.98·5050 = 4949
    const n = normalizeAttribution(map(values, 10, 10), { sign: 'positive' });
    expect(n.scale).toBe(99);
    expect(n.values[99]).toBe(1);
    expect(n.values[98]).toBe(1);
    expect(n.values[49]).toBeCloseTo(50 / 99, 15);
  });

  it("sign 'all' is symmetric around 0 (scale = max |v| without outliers); colours put 0 at the centre", () => {
    const n = normalizeAttribution(map([-4, 2, 0], 1, 3), { outlierPercentile: 0 });
    expect([...n.values]).toEqual([-1, 0.5, 0]);
    const image = colorize(n, 'bwr');
    expect([...image.data.subarray(0, 4)]).toEqual([0, 0, 255, 255]); // −1 → bwr(0)
    expect([...image.data.subarray(4, 8)]).toEqual([255, 128, 128, 255]); // 0.5 → bwr(0.75): 255·(63.75/127)
    expect([...image.data.subarray(8, 12)]).toEqual([254, 254, 255, 255]); // 0 → bwr(0.5): 255·127.5/128 = 254.004
  });

  it('positive, negative and absolute select their evidence', () => {
    const values = [-4, 2];
    const pick = (sign: 'positive' | 'negative' | 'absolute') => [
      ...normalizeAttribution(map(values, 1, 2), { sign, outlierPercentile: 0 }).values,
    ];
    expect(pick('positive')).toEqual([0, 1]);
    expect(pick('negative')).toEqual([1, 0]);
    expect(pick('absolute')).toEqual([1, 0.5]);
  });

  it('an all-zero map stays zero (no NaN)', () => {
    const n = normalizeAttribution(map([0, 0, 0, 0], 2, 2));
    expect([...n.values]).toEqual([0, 0, 0, 0]);
  });

  it('refuses bad options and non-finite values', async () => {
    const m = map([1, 2], 1, 2);
    await expectTypedError('normalizeAttribution', 'sign', () =>
      normalizeAttribution(m, { sign: 'both' as 'all' }),
    );
    await expectTypedError('normalizeAttribution', 'outlierPercentile', () =>
      normalizeAttribution(m, { outlierPercentile: 100 }),
    );
    await expectTypedError('normalizeAttribution', 'cmapp', () =>
      normalizeAttribution(m, { cmapp: 1 } as object),
    );
    await expectTypedError('normalizeAttribution', 'map', () => normalizeAttribution(map([1, NaN], 1, 2)));
  });

  it('heatmap: the largest attribution gets the far end of the map', () => {
    const image = heatmap(map([0.1, 0.2, 5, 0.3], 2, 2), {
      sign: 'positive',
      cmap: 'hot',
      outlierPercentile: 0,
    });
    expect([...image.data.subarray(8, 12)]).toEqual([255, 255, 255, 255]); // hot(1) = white
  });
});

describe('overlay', () => {
  const grey = createImage(2, 1, [200, 100, 0, 255]);
  const n = normalizeAttribution(map([0.5, 1], 1, 2), { sign: 'positive', outlierPercentile: 0 });
  it('mask multiplies the image by |value|', () => {
    expect([...overlay(grey, n, 'mask').data]).toEqual([100, 50, 0, 255, 200, 100, 0, 255]);
  });
  it('alpha keeps the colour and sets the opacity to |value|', () => {
    expect([...overlay(grey, n, 'alpha').data]).toEqual([200, 100, 0, 128, 200, 100, 0, 255]);
  });
  it('blend mixes the grey image with the coloured map', () => {
    // grey = 100; hot(1) = white: 0.25·100 + 0.75·255 = 216.25
    const out = overlay(grey, n, 'blend', { alpha: 0.75, cmap: 'hot' });
    expect([...out.data.subarray(4, 8)]).toEqual([216, 216, 216, 255]);
  });
  it('refuses a size mismatch and a bad alpha', async () => {
    await expectTypedError('overlay', 'image', () => overlay(createImage(3, 1), n));
    await expectTypedError('overlay', 'alpha', () => overlay(grey, n, 'blend', { alpha: 2 }));
  });
});

describe('attributionMaps', () => {
  it('splits an NHWC batch into per-sample maps and leaves no tensor behind', async () => {
    const t = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]);
    const before = tf.memory().numTensors;
    const maps = await attributionMaps(t);
    expect(tf.memory().numTensors).toBe(before);
    expect(maps.map((m) => [m.height, m.width, m.channels, Array.from(m.values)])).toEqual([
      [2, 1, 2, [1, 2, 3, 4]],
      [2, 1, 2, [5, 6, 7, 8]],
    ]);
    t.dispose();
  });
  it('refuses a rank-2 tensor', async () => {
    const t = tf.zeros([2, 2]);
    await expectTypedError('attributionMaps', 'attribution', () => attributionMaps(t));
    t.dispose();
  });
});
