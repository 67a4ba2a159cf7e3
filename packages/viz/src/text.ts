import { invalidArgument } from '@attrib/core';
import { createImage, paste, type RgbaImage } from './image.js';

/**
 * A 3×5 bitmap font (rows top to bottom, 1 = ink), enough for panel titles: A–Z, 0–9 and a little
 * punctuation. Lower case is drawn as upper case; anything else as '?'. Small on purpose: titles
 * are method names, not prose.
 */
const GLYPHS: Record<string, string> = {
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '110001010100111',
  '3': '110001010001110',
  '4': '101101111001001',
  '5': '111100110001110',
  '6': '011100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001110',
  ' ': '000000000000000',
  '.': '000000000000010',
  ',': '000000000010100',
  ':': '000010000010000',
  '-': '000000111000000',
  '+': '000010111010000',
  _: '000000000000111',
  '(': '010100100100010',
  ')': '010001001001010',
  '/': '001001010100100',
  '=': '000111000111000',
  '%': '101001010100101',
  '?': '110001010000010',
  '[': '110100100100110',
  ']': '011001001001011',
};

export interface TextOptions {
  /** Pixels per font dot (default 2: 6×10 px letters). */
  scale?: number;
  color?: readonly number[];
  background?: readonly number[];
}

/** Width in pixels `text` takes at `scale` (4 dots a character: 3 of glyph, 1 of spacing). */
export function textWidth(text: string, scale = 2): number {
  return Math.max(1, (text.length * 4 - 1) * scale);
}

/** `text` drawn in the bitmap font on its own RGBA image, `5·scale` pixels tall. */
export function renderText(text: string, options: TextOptions = {}): RgbaImage {
  const scale = options.scale ?? 2;
  if (!Number.isInteger(scale) || scale < 1)
    throw invalidArgument('renderText', 'scale', 'a positive integer', scale);
  const color = options.color ?? [0, 0, 0, 255];
  const image = createImage(textWidth(text, scale), 5 * scale, options.background ?? [255, 255, 255, 255]);
  [...text.toUpperCase()].forEach((char, i) => {
    const glyph = GLYPHS[char] ?? GLYPHS['?']!;
    for (let dot = 0; dot < 15; dot += 1) {
      if (glyph[dot] !== '1') continue;
      const x0 = (i * 4 + (dot % 3)) * scale;
      const y0 = Math.floor(dot / 3) * scale;
      for (let y = y0; y < y0 + scale; y += 1)
        for (let x = x0; x < x0 + scale; x += 1) image.data.set(color, (y * image.width + x) * 4);
    }
  });
  return image;
}

export interface GridPanel {
  readonly image: RgbaImage;
  readonly title?: string;
}

export interface GridOptions {
  /** Panels a row (default: all in one row). */
  columns?: number;
  padding?: number;
  background?: readonly number[];
  textScale?: number;
}

/** Panels side by side (left to right, then down), each under its title: one picture per input. */
export function grid(panels: readonly GridPanel[], options: GridOptions = {}): RgbaImage {
  if (panels.length === 0) throw invalidArgument('grid', 'panels', 'at least one panel', panels);
  const columns = options.columns ?? panels.length;
  if (!Number.isInteger(columns) || columns < 1)
    throw invalidArgument('grid', 'columns', 'a positive integer', columns);
  const padding = options.padding ?? 8;
  const scale = options.textScale ?? 2;
  const background = options.background ?? [255, 255, 255, 255];
  const hasTitles = panels.some((p) => p.title !== undefined && p.title !== '');
  const titleHeight = hasTitles ? 5 * scale + padding / 2 : 0;
  const cellWidth = Math.max(
    ...panels.map((p) => Math.max(p.image.width, p.title ? textWidth(p.title, scale) : 0)),
  );
  const cellHeight = Math.max(...panels.map((p) => p.image.height)) + titleHeight;
  const rows = Math.ceil(panels.length / columns);
  const out = createImage(
    columns * cellWidth + (columns + 1) * padding,
    rows * cellHeight + (rows + 1) * padding,
    background,
  );
  panels.forEach((panel, i) => {
    const x = padding + (i % columns) * (cellWidth + padding);
    const y = padding + Math.floor(i / columns) * (cellHeight + padding);
    if (panel.title) paste(out, renderText(panel.title, { scale, background }), x, y);
    paste(out, panel.image, x, y + titleHeight);
  });
  return out;
}
