import { invalidArgument } from '@attrib/core';
import { colorMap, toBytes, type ColorMap, type ColorMapName } from './colormaps.js';

/** Text for XML/HTML: `& < > " '` escaped, so labels and tokens cannot break the markup. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** A shaded band (e.g. a 95% interval) drawn under the line. */
  readonly band?: { readonly lower: readonly number[]; readonly upper: readonly number[] };
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
  /** y axis range; default the data's, padded to include 0 when the data are all ≥ 0. */
  readonly yRange?: readonly [number, number];
}

const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(+v.toFixed(3));

/** A line chart as an SVG string (no DOM): axes with 5 ticks, one polyline per series, bands, legend. */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): string {
  const fn = 'lineChart';
  if (series.length === 0) throw invalidArgument(fn, 'series', 'at least one series', series);
  for (const s of series) {
    if (s.x.length === 0 || s.x.length !== s.y.length)
      throw invalidArgument(fn, `series '${s.name}'`, 'x and y of the same, non-zero length', [
        s.x.length,
        s.y.length,
      ]);
    if (s.band && (s.band.lower.length !== s.x.length || s.band.upper.length !== s.x.length))
      throw invalidArgument(fn, `series '${s.name}'.band`, 'lower and upper as long as x', [
        s.band.lower.length,
        s.band.upper.length,
      ]);
    for (const v of [...s.x, ...s.y, ...(s.band?.lower ?? []), ...(s.band?.upper ?? [])])
      if (!Number.isFinite(v))
        throw invalidArgument(fn, `series '${s.name}'`, 'finite values', v, 'non-finite-input');
  }
  const width = options.width ?? 480;
  const height = options.height ?? 320;
  const margin = { left: 56, right: 16, top: options.title ? 32 : 12, bottom: 44 };
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => [...s.y, ...(s.band?.lower ?? []), ...(s.band?.upper ?? [])]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = options.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (options.yRange === undefined && y0 >= 0) y0 = 0;
  if (y1 === y0) y1 = y0 + 1;
  const px = (x: number) =>
    margin.left + ((x - x0) / (x1 === x0 ? 1 : x1 - x0)) * (width - margin.left - margin.right);
  const py = (y: number) =>
    height - margin.bottom - ((y - y0) / (y1 - y0)) * (height - margin.top - margin.bottom);
  const point = (x: number, y: number) => `${px(x).toFixed(2)},${py(y).toFixed(2)}`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title)
    parts.push(
      `<text x="${width / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(options.title)}</text>`,
    );
  for (let i = 0; i <= 4; i += 1) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(
      `<line x1="${px(xv).toFixed(2)}" y1="${height - margin.bottom}" x2="${px(xv).toFixed(2)}" y2="${height - margin.bottom + 4}" stroke="black"/>`,
      `<text x="${px(xv).toFixed(2)}" y="${height - margin.bottom + 16}" text-anchor="middle">${fmt(xv)}</text>`,
      `<line x1="${margin.left - 4}" y1="${py(yv).toFixed(2)}" x2="${width - margin.right}" y2="${py(yv).toFixed(2)}" stroke="${i === 0 ? 'black' : '#ddd'}"/>`,
      `<text x="${margin.left - 6}" y="${(py(yv) + 4).toFixed(2)}" text-anchor="end">${fmt(yv)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="black"/>`,
  );
  if (options.xLabel)
    parts.push(
      `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    );
  series.forEach((s, k) => {
    const color = escapeXml(s.color ?? PALETTE[k % PALETTE.length]!);
    if (s.band) {
      const upper = s.x.map((x, i) => point(x, s.band!.upper[i]!));
      const lower = s.x.map((x, i) => point(x, s.band!.lower[i]!)).reverse();
      parts.push(
        `<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.2" stroke="none"/>`,
      );
    }
    parts.push(
      `<polyline points="${s.x.map((x, i) => point(x, s.y[i]!)).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<line x1="${width - margin.right - 150}" y1="${margin.top + 8 + k * 16}" x2="${width - margin.right - 130}" y2="${margin.top + 8 + k * 16}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${width - margin.right - 126}" y="${margin.top + 12 + k * 16}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Area under y(x) by the trapezoid rule (what deletion/insertion AUCs report). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i += 1) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

export interface AblationCurves {
  /** Share (or count) of units/features removed at each point. */
  readonly fractions: readonly number[];
  readonly top: readonly number[];
  readonly bottom: readonly number[];
  /** Random-k: mean and its 95% band. */
  readonly random: {
    readonly mean: readonly number[];
    readonly lower: readonly number[];
    readonly upper: readonly number[];
  };
}

/** Top-k, bottom-k and random-k ablation curves with random's 95% band. */
export function ablationCurvesSvg(curves: AblationCurves, options: LineChartOptions = {}): string {
  return lineChart(
    [
      {
        name: 'random-k (95% band)',
        x: curves.fractions,
        y: curves.random.mean,
        band: curves.random,
        color: '#7f7f7f',
        dashed: true,
      },
      { name: 'top-k removed', x: curves.fractions, y: curves.top, color: '#d62728' },
      { name: 'bottom-k removed', x: curves.fractions, y: curves.bottom, color: '#1f77b4' },
    ],
    { xLabel: 'share ablated', yLabel: 'score', ...options },
  );
}

/** Deletion and insertion curves, each named with its area under the curve. */
export function deletionInsertionSvg(
  curves: {
    readonly fractions: readonly number[];
    readonly deletion: readonly number[];
    readonly insertion: readonly number[];
  },
  options: LineChartOptions = {},
): string {
  const auc = (y: readonly number[]) => trapezoidArea(curves.fractions, y).toFixed(3);
  return lineChart(
    [
      {
        name: `deletion (AUC ${auc(curves.deletion)})`,
        x: curves.fractions,
        y: curves.deletion,
        color: '#d62728',
      },
      {
        name: `insertion (AUC ${auc(curves.insertion)})`,
        x: curves.fractions,
        y: curves.insertion,
        color: '#2ca02c',
      },
    ],
    { xLabel: 'share of features', yLabel: 'target score', ...options },
  );
}

/** Integrated gradients' |convergence delta| against the number of steps. */
export function convergenceSvg(
  points: { readonly steps: readonly number[]; readonly delta: readonly number[] },
  options: LineChartOptions = {},
): string {
  return lineChart([{ name: '|delta|', x: points.steps, y: points.delta.map(Math.abs) }], {
    xLabel: 'integration steps',
    yLabel: '|completeness delta|',
    ...options,
  });
}

/**
 * Tokens highlighted by attribution as HTML: each a `<span>` whose background is the colour map at its
 * score scaled by max |score| (0 in the middle of a diverging map), the score in its title.
 */
export function tokensHtml(
  tokens: readonly string[],
  scores: ArrayLike<number>,
  options: { cmap?: ColorMapName | ColorMap | (string & {}) } = {},
): string {
  if (tokens.length !== scores.length)
    throw invalidArgument('tokensHtml', 'scores', `one score per token (${tokens.length})`, scores.length);
  const lookup = colorMap(options.cmap ?? 'bwr');
  let scale = 0;
  for (let i = 0; i < scores.length; i += 1) {
    if (!Number.isFinite(scores[i]!))
      throw invalidArgument('tokensHtml', 'scores', 'finite numbers', scores[i], 'non-finite-input');
    scale = Math.max(scale, Math.abs(scores[i]!));
  }
  const spans = tokens.map((token, i) => {
    const v = scale === 0 ? 0 : scores[i]! / scale;
    const [r, g, b] = toBytes(lookup.at((v + 1) / 2));
    return `<span style="background-color: rgb(${r}, ${g}, ${b})" title="${escapeXml(String(scores[i]))}">${escapeXml(token)}</span>`;
  });
  return `<p class="attrib-tokens">${spans.join(' ')}</p>`;
}
