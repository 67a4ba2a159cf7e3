import { expectTypedError } from '@attrib/test-utils';
import {
  ablationCurvesSvg,
  convergenceSvg,
  deletionInsertionSvg,
  lineChart,
  tokensHtml,
  trapezoidArea,
} from './svg.js';

/**
 * A strict well-formedness check written here (no XML library is a dependency): every tag closes in
 * order, attributes are name="value" with no raw '<' or '&' inside, text holds only known entities.
 * Returns the element names in document order.
 */
function parseXml(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let end = 0;
  for (let m = token.exec(xml); m !== null; m = token.exec(xml)) {
    end = token.lastIndex;
    const [, closing, name, attributes, selfClosing, text] = m;
    const raw = text ?? attributes ?? '';
    if (/&(?!(amp|lt|gt|quot|#39);)/.test(raw)) throw new Error(`bad entity in '${raw}'`);
    if (text !== undefined) continue;
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  if (end !== xml.length) throw new Error(`malformed at offset ${end}: ${xml.slice(end, end + 40)}`);
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  return names;
}

describe('SVG curves', () => {
  const fractions = [0, 0.25, 0.5, 0.75, 1];
  it('ablation curves: well-formed, three lines and the random band', () => {
    const svg = ablationCurvesSvg(
      {
        fractions,
        top: [0.9, 0.5, 0.3, 0.2, 0.1],
        bottom: [0.9, 0.88, 0.85, 0.6, 0.1],
        random: {
          mean: [0.9, 0.7, 0.5, 0.3, 0.1],
          lower: [0.9, 0.6, 0.4, 0.2, 0.1],
          upper: [0.9, 0.8, 0.6, 0.4, 0.1],
        },
      },
      { title: 'Ablation <cluster & "pos">' },
    );
    const names = parseXml(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(3);
    expect(names.filter((n) => n === 'polygon')).toHaveLength(1);
    expect(svg).toContain('Ablation &lt;cluster &amp; &quot;pos&quot;&gt;');
  });

  it('deletion/insertion name their AUC (trapezoid rule)', () => {
    // deletion 1 → 0 linearly: area 0.5; insertion 0, 1, 1, 1, 1: 0.125 + 0.75 = 0.875
    expect(trapezoidArea(fractions, [1, 0.75, 0.5, 0.25, 0])).toBeCloseTo(0.5, 15);
    const svg = deletionInsertionSvg({
      fractions,
      deletion: [1, 0.75, 0.5, 0.25, 0],
      insertion: [0, 1, 1, 1, 1],
    });
    parseXml(svg);
    expect(svg).toContain('deletion (AUC 0.500)');
    expect(svg).toContain('insertion (AUC 0.875)');
  });

  it('IG convergence plots |delta| and the points land inside the plot', () => {
    const svg = convergenceSvg(
      { steps: [8, 16, 32], delta: [-0.4, 0.1, -0.01] },
      { width: 300, height: 200 },
    );
    parseXml(svg);
    const points = /<polyline points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(3);
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(300);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(200);
    }
    // |−0.4| is the largest: the highest point (smallest y) is the first.
    expect(points[0]![1]).toBeLessThan(points[1]![1]!);
  });

  it('refuses mismatched or non-finite series', async () => {
    await expectTypedError('lineChart', "series 'a'", () => lineChart([{ name: 'a', x: [0, 1], y: [1] }]));
    await expectTypedError('lineChart', "series 'a'", () =>
      lineChart([{ name: 'a', x: [0, 1], y: [1, NaN] }]),
    );
    await expectTypedError('lineChart', 'series', () => lineChart([]));
  });
});

describe('tokensHtml', () => {
  it('colours by score (bwr, symmetric) and escapes tokens', () => {
    const html = tokensHtml(['<b>', 'good', 'bad'], [0, 2, -1]);
    parseXml(html);
    expect(html).toContain('&lt;b&gt;');
    // 0 → bwr(0.5) = 254, 254, 255; 2 = max → red; −1 → bwr(0.25): x = 63.75, 255·63.75/128 = 127.0
    expect(html).toContain('rgb(254, 254, 255)" title="0">&lt;b&gt;');
    expect(html).toContain('rgb(255, 0, 0)" title="2">good');
    expect(html).toContain('rgb(127, 127, 255)" title="-1">bad');
  });
  it('refuses a score count that differs from the tokens', async () => {
    await expectTypedError('tokensHtml', 'scores', () => tokensHtml(['a'], [1, 2]));
  });
});
