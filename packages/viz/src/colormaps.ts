import { invalidArgument } from '@attrib/core';

/** A colour: red, green, blue in [0, 1]. */
export type Rgb = readonly [number, number, number];

/**
 * A colour map: `at(v)` maps v ∈ [0, 1] (clipped) to a colour, with the interpolation rule of the
 * library the map comes from, so that a picture made here matches one made by Zennit or matplotlib.
 */
export interface ColorMap {
  readonly name: string;
  at(value: number): Rgb;
}

const FN = 'colorMap';

function hexColor(code: string): Rgb {
  const step = code.length === 3 ? 1 : 2;
  const channel = (i: number) => {
    const digits = code.slice(i * step, i * step + step);
    return parseInt(step === 1 ? digits + digits : digits, 16) / 255;
  };
  return [channel(0), channel(1), channel(2)];
}

/**
 * Zennit's colour-map specification language (`zennit.cmap.ColorMap`): comma-separated hex colours
 * (3 or 6 digits), each optionally prefixed by a hex index 0–ff and a colon. Unindexed colours are
 * spread evenly (index truncated to an integer, as Zennit's `int(...)` does) between their indexed
 * neighbours; the first defaults to 0, the last to 255; values are interpolated linearly over 0–255.
 */
export function zennitColorMap(source: string, name = source): ColorMap {
  const nodes = source.split(',').map((token) => {
    const match = /^\s*(?:([0-9a-fA-F]{1,2}):)?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\s*$/.exec(token);
    if (match === null)
      throw invalidArgument('zennitColorMap', 'source', "comma-separated '[index:]rgb' hex colours", source);
    const index =
      match[1] === undefined
        ? undefined
        : parseInt(match[1].length === 1 ? match[1] + match[1] : match[1], 16);
    return { index, color: hexColor(match[2]!) };
  });
  if (nodes.length < 2) throw invalidArgument('zennitColorMap', 'source', 'at least 2 colours', source);
  const [start, ...rest] = nodes;
  const indices: number[] = [0];
  const colors: Rgb[] = [start!.color];
  if (start!.index !== undefined && start!.index > 0) {
    indices.push(start!.index);
    colors.push(start!.color);
  }
  let pending: Rgb[] = [];
  rest.forEach((node, n) => {
    let index = node.index;
    if (index === undefined) {
      if (n < rest.length - 1) {
        pending.push(node.color);
        return;
      }
      index = 255;
    } else if (index < indices[indices.length - 1]!) {
      throw invalidArgument('zennitColorMap', 'source', 'indices in ascending order', source);
    }
    const last = indices[indices.length - 1]!;
    pending.forEach((color, k) => {
      const alpha = (k + 1) / (pending.length + 1);
      indices.push(Math.trunc(last * (1 - alpha) + index * alpha));
      colors.push(color);
    });
    pending = [];
    indices.push(index);
    colors.push(node.color);
  });
  indices.push(256);
  colors.push(colors[colors.length - 1]!);
  return {
    name,
    at(value) {
      const x = Math.min(Math.max(value * 255, 0), 255);
      // searchsorted(indices[:-1], x, side='right'): the first node strictly above x.
      let upper = 1;
      while (upper < indices.length - 1 && indices[upper]! <= x) upper += 1;
      const alpha = (x - indices[upper - 1]!) / (indices[upper]! - indices[upper - 1]!);
      const a = colors[upper - 1]!;
      const b = colors[upper]!;
      return [
        a[0] * (1 - alpha) + b[0] * alpha,
        a[1] * (1 - alpha) + b[1] * alpha,
        a[2] * (1 - alpha) + b[2] * alpha,
      ];
    },
  };
}

/** Zennit's built-in palettes (`zennit.image.CMAPS`), in its own source language. */
export const ZENNIT_PALETTES = {
  gray: '000,fff',
  wred: 'fff,f00',
  wblue: 'fff,00f',
  hot: '000,f00,ff0,fff',
  cold: '000,00f,0ff',
  coldnhot: '0ff,00f,80:000,f00,ff0,fff',
  bwr: '00f,80:fff,f00',
  france: '0055a4,80:fff,ef4135',
  seismic: '0000d0,80:d0d0d0,d00000',
  coolio: '00d0d0,80:d0d0d0,d000d0',
  coleus: '00d000,80:d0d0d0,d000d0',
} as const;

/**
 * matplotlib's lookup: a 256-entry table, entry i the colour at i/255; v picks entry
 * min(floor(v·256), 255) (`Colormap.__call__`), so mpl(0.5) is entry 128, not the midpoint colour.
 */
function lookupTable(name: string, table: readonly Rgb[]): ColorMap {
  return {
    name,
    at(value) {
      const v = Number.isNaN(value) ? 0 : value;
      return table[Math.min(Math.max(Math.floor(v * 256), 0), 255)]!;
    },
  };
}

/** `LinearSegmentedColormap.from_list(name, colours, 256)`: evenly spaced anchors, linear in between. */
function fromList(name: string, anchors: readonly Rgb[]): ColorMap {
  const table: Rgb[] = [];
  const segments = anchors.length - 1;
  for (let i = 0; i < 256; i += 1) {
    const position = (i / 255) * segments;
    const k = Math.min(Math.floor(position), segments - 1);
    const t = position - k;
    const a = anchors[k]!;
    const b = anchors[k + 1]!;
    table.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]);
  }
  return lookupTable(name, table);
}

const hexList = (codes: string) => codes.split(' ').map(hexColor);

/** matplotlib's viridis (`_cm_listed._viridis_data`, CC0, by van der Walt, Smith and Firing), ×10⁶. */
const VIRIDIS =
  '267004 004874 329415 268510 009605 335427 269944 014625 341379 271305 019942 347269 272594 025563 353093 ' +
  '273809 031497 358853 274952 037752 364543 276022 044167 370164 277018 050344 375715 277941 056324 381191 ' +
  '278791 062145 386592 279566 067836 391917 280267 073417 397163 280894 078907 402329 281446 084320 407414 ' +
  '281924 089666 412415 282327 094955 417331 282656 100196 422160 282910 105393 426902 283091 110553 431554 ' +
  '283197 115680 436115 283229 120777 440584 283187 125848 444960 283072 130895 449241 282884 135920 453427 ' +
  '282623 140926 457517 282290 145912 461510 281887 150881 465405 281412 155834 469201 280868 160771 472899 ' +
  '280255 165693 476498 279574 170599 479997 278826 175490 483397 278012 180367 486697 277134 185228 489898 ' +
  '276194 190074 493001 275191 194905 496005 274128 199721 498911 273006 204520 501721 271828 209303 504434 ' +
  '270595 214069 507052 269308 218818 509577 267968 223549 512008 266580 228262 514349 265145 232956 516599 ' +
  '263663 237631 518762 262138 242286 520837 260571 246922 522828 258965 251537 524736 257322 256130 526563 ' +
  '255645 260703 528312 253935 265254 529983 252194 269783 531579 250425 274290 533103 248629 278775 534556 ' +
  '246811 283237 535941 244972 287675 537260 243113 292092 538516 241237 296485 539709 239346 300855 540844 ' +
  '237441 305202 541921 235526 309527 542944 233603 313828 543914 231674 318106 544834 229739 322361 545706 ' +
  '227802 326594 546532 225863 330805 547314 223925 334994 548053 221989 339161 548752 220057 343307 549413 ' +
  '218130 347432 550038 216210 351535 550627 214298 355619 551184 212395 359683 551710 210503 363727 552206 ' +
  '208623 367752 552675 206756 371758 553117 204903 375746 553533 203063 379716 553925 201239 383670 554294 ' +
  '199430 387607 554642 197636 391528 554969 195860 395433 555276 194100 399323 555565 192357 403199 555836 ' +
  '190631 407061 556089 188923 410910 556326 187231 414746 556547 185556 418570 556753 183898 422383 556944 ' +
  '182256 426184 557120 180629 429975 557282 179019 433756 557430 177423 437527 557565 175841 441290 557685 ' +
  '174274 445044 557792 172719 448791 557885 171176 452530 557965 169646 456262 558030 168126 459988 558082 ' +
  '166617 463708 558119 165117 467423 558141 163625 471133 558148 162142 474838 558140 160665 478540 558115 ' +
  '159194 482237 558073 157729 485932 558013 156270 489624 557936 154815 493313 557840 153364 497000 557724 ' +
  '151918 500685 557587 150476 504369 557430 149039 508051 557250 147607 511733 557049 146180 515413 556823 ' +
  '144759 519093 556572 143343 522773 556295 141935 526453 555991 140536 530132 555659 139147 533812 555298 ' +
  '137770 537492 554906 136408 541173 554483 135066 544853 554029 133743 548535 553541 132444 552216 553018 ' +
  '131172 555899 552459 129933 559582 551864 128729 563265 551229 127568 566949 550556 126453 570633 549841 ' +
  '125394 574318 549086 124395 578002 548287 123463 581687 547445 122606 585371 546557 121831 589055 545623 ' +
  '121148 592739 544641 120565 596422 543611 120092 600104 542530 119738 603785 541400 119512 607464 540218 ' +
  '119423 611141 538982 119483 614817 537692 119699 618490 536347 120081 622161 534946 120638 625828 533488 ' +
  '121380 629492 531973 122312 633153 530398 123444 636809 528763 124780 640461 527068 126326 644107 525311 ' +
  '128087 647749 523491 130067 651384 521608 132268 655014 519661 134692 658636 517649 137339 662252 515571 ' +
  '140210 665859 513427 143303 669459 511215 146616 673050 508936 150148 676631 506589 153894 680203 504172 ' +
  '157851 683765 501686 162016 687316 499129 166383 690856 496502 170948 694384 493803 175707 697900 491033 ' +
  '180653 701402 488189 185783 704891 485273 191090 708366 482284 196571 711827 479221 202219 715272 476084 ' +
  '208030 718701 472873 214000 722114 469588 220124 725509 466226 226397 728888 462789 232815 732247 459277 ' +
  '239374 735588 455688 246070 738910 452024 252899 742211 448284 259857 745492 444467 266941 748751 440573 ' +
  '274149 751988 436601 281477 755203 432552 288921 758394 428426 296479 761561 424223 304148 764704 419943 ' +
  '311925 767822 415586 319809 770914 411152 327796 773980 406640 335885 777018 402049 344074 780029 397381 ' +
  '352360 783011 392636 360741 785964 387814 369214 788888 382914 377779 791781 377939 386433 794644 372886 ' +
  '395174 797475 367757 404001 800275 362552 412913 803041 357269 421908 805774 351910 430983 808473 346476 ' +
  '440137 811138 340967 449368 813768 335384 458674 816363 329727 468053 818921 323998 477504 821444 318195 ' +
  '487026 823929 312321 496615 826376 306377 506271 828786 300362 515992 831158 294279 525776 833491 288127 ' +
  '535621 835785 281908 545524 838039 275626 555484 840254 269281 565498 842430 262877 575563 844566 256415 ' +
  '585678 846661 249897 595839 848717 243329 606045 850733 236712 616293 852709 230052 626579 854645 223353 ' +
  '636902 856542 216620 647257 858400 209861 657642 860219 203082 668054 861999 196293 678489 863742 189503 ' +
  '688944 865448 182725 699415 867117 175971 709898 868751 169257 720391 870350 162603 730889 871916 156029 ' +
  '741388 873449 149561 751884 874951 143228 762373 876424 137064 772852 877868 131109 783315 879285 125405 ' +
  '793760 880678 120005 804182 882046 114965 814576 883393 110347 824940 884720 106217 835270 886029 102646 ' +
  '845561 887322 099702 855810 888601 097452 866013 889868 095953 876168 891125 095250 886271 892374 095374 ' +
  '896320 893616 096335 906311 894855 098125 916242 896091 100717 926106 897330 104071 935904 898570 108131 ' +
  '945636 899815 112838 955300 901065 118128 964894 902323 123941 974417 903590 130215 983868 904867 136897 ' +
  '993248 906157 143936 ';

function viridis(): ColorMap {
  const values = VIRIDIS.trim()
    .split(' ')
    .map((digits) => Number(digits) / 1e6);
  const table: Rgb[] = [];
  for (let i = 0; i < values.length; i += 3) table.push([values[i]!, values[i + 1]!, values[i + 2]!]);
  return lookupTable('viridis', table);
}

/** The matplotlib maps Captum's `visualize_image_attr` uses (ColorBrewer anchors as in `_cm.py`). */
const MATPLOTLIB_MAPS = {
  viridis,
  'mpl:bwr': () => fromList('mpl:bwr', hexList('0000ff ffffff ff0000')),
  RdBu: () =>
    fromList('RdBu', hexList('67001f b2182b d6604d f4a582 fddbc7 f7f7f7 d1e5f0 92c5de 4393c3 2166ac 053061')),
  Blues: () => fromList('Blues', hexList('f7fbff deebf7 c6dbef 9ecae1 6baed6 4292c6 2171b5 08519c 08306b')),
  Greens: () => fromList('Greens', hexList('f7fcf5 e5f5e0 c7e9c0 a1d99b 74c476 41ab5d 238b45 006d2c 00441b')),
  Reds: () => fromList('Reds', hexList('fff5f0 fee0d2 fcbba1 fc9272 fb6a4a ef3b2c cb181d a50f15 67000d')),
  // Captum's default for sign 'all': from_list('RdWhGn', ['red', 'white', 'green']); matplotlib's 'green' is #008000.
  RdWhGn: () => fromList('RdWhGn', hexList('ff0000 ffffff 008000')),
} as const;

export type ZennitPaletteName = keyof typeof ZENNIT_PALETTES;
export type ColorMapName = ZennitPaletteName | keyof typeof MATPLOTLIB_MAPS;

export const COLOR_MAP_NAMES: readonly ColorMapName[] = [
  ...(Object.keys(ZENNIT_PALETTES) as ZennitPaletteName[]),
  ...(Object.keys(MATPLOTLIB_MAPS) as (keyof typeof MATPLOTLIB_MAPS)[]),
];

const cache = new Map<string, ColorMap>();

/**
 * A colour map by name: Zennit's palettes (`bwr`, `coldnhot`, `hot`, `cold`, `gray`, `wred`, `wblue`,
 * …) and matplotlib's (`viridis`, `RdBu`, `mpl:bwr`, `Blues`, `Greens`, `Reds`, `RdWhGn`). A ColorMap
 * passes through; any other string is compiled as Zennit source (`'000,80:f00,fff'`).
 */
export function colorMap(map: ColorMapName | ColorMap | (string & {})): ColorMap {
  if (typeof map === 'object' && map !== null && typeof map.at === 'function') return map;
  if (typeof map !== 'string') throw invalidArgument(FN, 'map', 'a colour-map name or a ColorMap', map);
  const known = cache.get(map);
  if (known !== undefined) return known;
  let made: ColorMap;
  if (Object.hasOwn(ZENNIT_PALETTES, map))
    made = zennitColorMap(ZENNIT_PALETTES[map as ZennitPaletteName], map);
  else if (Object.hasOwn(MATPLOTLIB_MAPS, map)) made = MATPLOTLIB_MAPS[map as keyof typeof MATPLOTLIB_MAPS]();
  else if (/^[0-9a-fA-F:,\s]+$/.test(map)) made = zennitColorMap(map);
  else throw invalidArgument(FN, 'map', `one of ${COLOR_MAP_NAMES.join(', ')} or Zennit colour source`, map);
  cache.set(map, made);
  return made;
}

/**
 * `[r, g, b]` as bytes: ×255 then truncated, as Zennit's `palette()` (`.round(12).astype(uint8)`) and
 * matplotlib's `bytes=True` (`astype(uint8)`) do; the rounding to 12 decimals keeps 254.99999… at 255.
 */
export function toBytes(color: Rgb): [number, number, number] {
  const byte = (v: number) => Math.floor(Math.round(v * 255 * 1e12) / 1e12);
  return [byte(color[0]), byte(color[1]), byte(color[2])];
}
