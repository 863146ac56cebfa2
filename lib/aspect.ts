// Aspect-ratio chips and sizes: each ratio (1:1, 4:5, 2:3, 3:4, 9:16 and their landscape turns) mapped to the
// model's multiple of 16 nearest the chosen size in megapixels, within the studio's 256–2048 limits. Shared by the
// size controls and their tests. Deliberately pure: no React, no store.
import { SIZE_LIMITS } from './params.ts';

export interface Aspect {
  id: string;
  /** Width and height parts, e.g. 4 and 5 for 4:5. */
  w: number;
  h: number;
  /** How a screen reader says it: "portrait 4 to 5". */
  spoken: string;
}

const ratio = (w: number, h: number): Aspect => ({
  id: `${w}:${h}`,
  w,
  h,
  spoken: w === h ? 'square 1 to 1' : `${w < h ? 'portrait' : 'landscape'} ${w} to ${h}`,
});

/** Portrait ratios, each followed by its landscape turn. */
export const ASPECTS: readonly Aspect[] = [ratio(1, 1), ratio(4, 5), ratio(5, 4), ratio(2, 3), ratio(3, 2), ratio(3, 4), ratio(4, 3), ratio(9, 16), ratio(16, 9)];

export interface SizeClass {
  id: string;
  label: string;
  spoken: string;
  /** Pixels of the square of this class (1 MP = 1024², the Turbo default). */
  pixels: number;
}

export const SIZE_CLASSES: readonly SizeClass[] = [
  { id: 'small', label: '0.6 MP', spoken: 'small, 0.6 megapixels, fastest', pixels: 768 * 768 },
  { id: 'default', label: '1 MP', spoken: 'default, 1 megapixel', pixels: 1024 * 1024 },
  { id: 'large', label: '1.6 MP', spoken: 'large, 1.6 megapixels', pixels: 1280 * 1280 },
  { id: 'huge', label: '2.3 MP', spoken: 'very large, 2.3 megapixels, slow on the CPU', pixels: 1536 * 1536 },
];

function toGrid(value: number): number {
  const { min, max, multiple } = SIZE_LIMITS;
  return Math.min(max, Math.max(min, Math.round(value / multiple) * multiple));
}

/** Width and height for a ratio at about `pixels` pixels, each a multiple of 16 in 256–2048. */
export function sizeFor(aspect: Pick<Aspect, 'w' | 'h'>, pixels: number): { width: number; height: number } {
  const width = toGrid(Math.sqrt((pixels * aspect.w) / aspect.h));
  const height = toGrid(Math.sqrt((pixels * aspect.h) / aspect.w));
  return { width, height };
}

/** The chip and size class the current width × height is, when it is one of them. */
export function matchSize(width: number, height: number): { aspect: Aspect; size: SizeClass } | null {
  for (const size of SIZE_CLASSES) {
    for (const aspect of ASPECTS) {
      const fit = sizeFor(aspect, size.pixels);
      if (fit.width === width && fit.height === height) return { aspect, size };
    }
  }
  return null;
}

/** The ratio nearest to width:height (for keeping the size class when a ratio is picked, and the reverse). */
export function nearestAspect(width: number, height: number): Aspect {
  const target = Math.log(width / height);
  return ASPECTS.reduce((best, aspect) => (Math.abs(Math.log(aspect.w / aspect.h) - target) < Math.abs(Math.log(best.w / best.h) - target) ? aspect : best));
}

/** The size class nearest to width × height pixels. */
export function nearestSize(width: number, height: number): SizeClass {
  const target = Math.log(width * height);
  return SIZE_CLASSES.reduce((best, size) => (Math.abs(Math.log(size.pixels) - target) < Math.abs(Math.log(best.pixels) - target) ? size : best));
}
