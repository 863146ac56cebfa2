'use client';
// Two precisions that ran, set against each other: a before/after split with a slider, the difference heat map, and
// the numbers — PSNR, max and mean absolute difference (computed here from the two PNGs, on canvases), black pixels
// of each, NaN/Inf from each run's health, time and VRAM. Deliberately computes only what the pixels show; numbers
// the pixels cannot give (NaN in the latents, time, memory) come from each run's recorded evidence.
import { useEffect, useRef, useState } from 'react';
import { blackFraction, diffStats, formatPsnr, heatColour, heatMap, type DiffStats } from '@/lib/compare-metrics.ts';
import type { ColumnView } from '@/lib/comparison.ts';
import { formatDuration } from '@/lib/format.ts';
import { formatShare, memoryBadge, nonFiniteAtEnd } from '@/lib/evidence.ts';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import { imageUrl } from '@/lib/results.ts';
import type { Precision } from '@/inference/pipeline/types.ts';
import { inputClass } from '@/components/ui/primitives.tsx';
import { Styled } from '@/components/ui/styled.tsx';

type RanColumn = Extract<ColumnView, { state: 'result' }>;

/** BF16 against FP16 when both ran (the point of the view), else the first two. */
function defaultPair(columns: RanColumn[]): [Precision, Precision] {
  const has = (precision: Precision) => columns.some((column) => column.precision === precision);
  if (has('bf16') && has('fp16')) return ['bf16', 'fp16'];
  return [columns[0].precision, columns[1].precision];
}

async function decode(url: string): Promise<ImageData> {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2D canvas, so the difference cannot be computed here.');
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

interface Measured {
  stats: DiffStats;
  black: [number, number];
  /** Largest per-pixel difference, the heat map's brightest colour. */
  maxPixel: number;
}

export function PairView({ columns, width, height }: { columns: RanColumn[]; width: number; height: number }) {
  const [pair, setPair] = useState<[Precision, Precision]>(() => defaultPair(columns));
  const [split, setSplit] = useState(50);
  const [measured, setMeasured] = useState<Measured | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heatRef = useRef<HTMLCanvasElement>(null);
  const a = columns.find((column) => column.precision === pair[0]) ?? columns[0];
  const b = columns.find((column) => column.precision === pair[1]) ?? columns[1];

  useEffect(() => {
    let canceled = false;
    setMeasured(null);
    setError(null);
    Promise.all([decode(imageUrl(a.result.id)), decode(imageUrl(b.result.id))]).then(
      ([left, right]) => {
        if (canceled) return;
        if (left.width !== right.width || left.height !== right.height) {
          setError(`The images differ in size (${left.width}×${left.height} vs ${right.width}×${right.height}), so they cannot be compared pixel by pixel.`);
          return;
        }
        const canvas = heatRef.current;
        const map = new ImageData(left.width, left.height);
        const maxPixel = heatMap(left.data, right.data, 4, map.data);
        if (canvas) {
          canvas.width = left.width;
          canvas.height = left.height;
          canvas.getContext('2d')?.putImageData(map, 0, 0);
        }
        setMeasured({ stats: diffStats(left.data, right.data, 4), black: [blackFraction(left.data, 4), blackFraction(right.data, 4)], maxPixel });
      },
      (cause: Error) => !canceled && setError(`Could not read the images: ${cause.message}`),
    );
    return () => {
      canceled = true;
    };
  }, [a.result.id, b.result.id]);

  const choose = (side: 0 | 1, precision: Precision) =>
    setPair((current) => {
      const next: [Precision, Precision] = [...current];
      next[side] = precision;
      // Picking the other side's precision swaps the two rather than comparing an image with itself.
      if (next[0] === next[1]) next[1 - side] = current[side];
      return next;
    });

  const label = (column: RanColumn) => PRECISION_LABELS[column.precision];
  /** Shown where a pixel number is not (yet) known. */
  const pending = error ? '—' : '…';
  const perRun = (column: RanColumn, side: 0 | 1) => ({
    nan: column.result.health ? nonFiniteAtEnd(column.result.health).toLocaleString('en-US') : 'not recorded',
    black: measured ? formatShare(measured.black[side]) : pending,
    time: formatDuration(column.result.durationMs),
    vram: memoryBadge(column.result.memory).text,
  });
  const left = perRun(a, 0);
  const right = perRun(b, 1);
  // Both pictures keep the image's shape and stay within 70 % of the window's height, however wide the page.
  const figure = { 'max-width': `calc(70vh * ${width / height})` };
  const frame = { 'aspect-ratio': `${width} / ${height}` };
  const gradient = `linear-gradient(to right, ${[0, 0.35, 0.7, 1].map((t) => `rgb(${heatColour(t).join(',')})`).join(', ')})`;

  return (
    <section className="space-y-4 rounded-lg border border-zinc-800 bg-zinc-900/40 p-4" aria-labelledby="pair-heading" data-testid="pair-view">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h2 id="pair-heading" className="text-sm font-semibold text-zinc-100">
          {label(a)} against {label(b)}
        </h2>
        <div className="flex items-center gap-2 text-xs">
          {([0, 1] as const).map((side) => (
            <label key={side} className="flex items-center gap-1.5 text-zinc-400">
              {side === 0 ? 'Left' : 'Right'}
              <select className={`${inputClass} w-auto py-1 text-xs`} value={pair[side]} onChange={(event) => choose(side, event.target.value as Precision)}>
                {columns.map((column) => (
                  <option key={column.precision} value={column.precision}>
                    {label(column)}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <Styled as="figure" className="mx-auto w-full space-y-2" css={figure}>
          <Styled as="div" className="relative select-none overflow-hidden rounded-md bg-zinc-950" css={frame}>
            {/* eslint-disable-next-line @next/next/no-img-element -- stored PNGs, compared as they are. */}
            <img src={imageUrl(b.result.id)} alt={`${label(b)} (right of the split)`} className="absolute inset-0 h-full w-full" draggable={false} />
            {/* eslint-disable-next-line @next/next/no-img-element -- stored PNGs, compared as they are. */}
            <Styled
              as="img"
              src={imageUrl(a.result.id)}
              alt={`${label(a)} (left of the split)`}
              className="absolute inset-0 h-full w-full"
              css={{ 'clip-path': `inset(0 ${100 - split}% 0 0)` }}
              draggable={false}
            />
            <Styled as="div" aria-hidden="true" className="absolute inset-y-0 w-0.5 bg-white/80 shadow" css={{ left: `calc(${split}% - 1px)` }} />
            <span className="absolute left-2 top-2 rounded bg-black/60 px-1.5 py-0.5 font-mono text-[11px] text-white">{label(a)}</span>
            <span className="absolute right-2 top-2 rounded bg-black/60 px-1.5 py-0.5 font-mono text-[11px] text-white">{label(b)}</span>
          </Styled>
          <input
            type="range"
            min={0}
            max={100}
            value={split}
            onChange={(event) => setSplit(Number(event.target.value))}
            className="w-full accent-indigo-400"
            aria-label={`Split between ${label(a)} (left) and ${label(b)} (right)`}
            aria-valuetext={`${split} % ${label(a)}`}
          />
          <figcaption className="text-[11px] text-zinc-400">Drag to move the split: {label(a)} on the left, {label(b)} on the right.</figcaption>
        </Styled>

        <Styled as="figure" className="mx-auto w-full space-y-2" css={figure}>
          <Styled as="div" className="overflow-hidden rounded-md bg-black" css={frame}>
            <canvas
              ref={heatRef}
              className="h-full w-full [image-rendering:pixelated]"
              role="img"
              aria-label={`Difference map of ${label(a)} and ${label(b)}: brighter means a larger difference`}
              data-testid="diff-map"
            />
          </Styled>
          <Styled as="div" aria-hidden="true" className="h-1.5 rounded-full" css={{ background: gradient }} />
          <figcaption className="flex justify-between text-[11px] text-zinc-400">
            <span>identical</span>
            <span>{measured ? `largest difference: ${measured.maxPixel}/255 per channel` : error ? 'not computed' : 'computing…'}</span>
          </figcaption>
        </Styled>
      </div>

      {error && <p className="text-xs text-rose-300">{error}</p>}

      <table className="w-full max-w-2xl text-left text-xs" data-testid="pair-metrics">
        <caption className="sr-only">Numbers of the two runs and their difference</caption>
        <thead className="text-zinc-400">
          <tr>
            <th scope="col" className="py-1 font-normal" />
            <th scope="col" className="py-1 font-mono font-medium text-zinc-200">{label(a)}</th>
            <th scope="col" className="py-1 font-mono font-medium text-zinc-200">{label(b)}</th>
          </tr>
        </thead>
        <tbody className="font-mono text-zinc-300 [&_th]:py-0.5 [&_th]:pr-4 [&_th]:font-sans [&_th]:font-normal [&_th]:text-zinc-400">
          <tr>
            <th scope="row">PSNR</th>
            <td colSpan={2}>{measured ? formatPsnr(measured.stats.psnr) : pending}</td>
          </tr>
          <tr>
            <th scope="row">Max |difference|</th>
            <td colSpan={2}>{measured ? `${measured.stats.maxAbs} / 255` : pending}</td>
          </tr>
          <tr>
            <th scope="row">Mean |difference|</th>
            <td colSpan={2}>{measured ? `${measured.stats.meanAbs.toFixed(2)} / 255` : pending}</td>
          </tr>
          <tr>
            <th scope="row">NaN/Inf at the end</th>
            <td>{left.nan}</td>
            <td>{right.nan}</td>
          </tr>
          <tr>
            <th scope="row">Black pixels</th>
            <td>{left.black}</td>
            <td>{right.black}</td>
          </tr>
          <tr>
            <th scope="row">Time</th>
            <td>{left.time}</td>
            <td>{right.time}</td>
          </tr>
          <tr>
            <th scope="row">VRAM</th>
            <td>{left.vram}</td>
            <td>{right.vram}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
