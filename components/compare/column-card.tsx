// One precision's column of a comparison: its image with the census badge, the health line and its numbers (time,
// VRAM, NaN/Inf, black pixels); a job still waiting or running with its progress; or, for a precision that did not
// run, an empty frame of the image's shape that says why. Hook-free: the numbers come from the record's evidence.
import type { ReactNode } from 'react';
import { describeProgress, formatDuration } from '@/lib/format.ts';
import { formatShare, healthLine, memoryBadge, nonFiniteAtEnd } from '@/lib/evidence.ts';
import type { ColumnView } from '@/lib/comparison.ts';
import { PRECISION_LABELS, PRECISION_NOTES } from '@/lib/precision.ts';
import { imageUrl, shareUrl } from '@/lib/results.ts';
import { EvidenceDetails } from '@/components/results/evidence-details.tsx';
import { PrecisionBadge } from '@/components/results/result-details.tsx';
import { Styled } from '@/components/ui/styled.tsx';

/**
 * Where the image would be. `compact`: only as tall as its text on a phone (a column that will never hold an image
 * should not push the one that does off the screen), the image's shape from the sm breakpoint up.
 */
function Frame({ width, height, compact = false, children }: { width: number; height: number; compact?: boolean; children: ReactNode }) {
  return (
    <Styled
      as="div"
      className={`flex items-center justify-center rounded-md border border-dashed border-zinc-700 bg-zinc-950/60 p-4 text-center ${
        compact ? 'sm:aspect-(--frame-aspect)' : 'aspect-(--frame-aspect)'
      }`}
      css={{ '--frame-aspect': `${width} / ${height}` }}
    >
      {children}
    </Styled>
  );
}

export function ColumnCard({ column, width, height }: { column: ColumnView; width: number; height: number }) {
  const label = PRECISION_LABELS[column.precision];
  return (
    <li
      className="flex flex-col gap-3 rounded-lg border border-zinc-800 bg-zinc-900/40 p-3"
      data-testid="comparison-column"
      data-precision={column.precision}
      data-state={column.state}
      aria-label={`${label}: ${column.state === 'result' ? 'ran' : column.state === 'pending' ? column.status : column.state === 'failed' ? 'failed' : 'cannot run here'}`}
    >
      <div className="flex items-baseline justify-between gap-2">
        <h2 className="font-mono text-sm font-semibold text-zinc-100">{label}</h2>
        {column.state === 'result' && column.source && <span className="text-[11px] text-zinc-400">the result you compared</span>}
      </div>
      {column.state === 'result' && <ResultColumn column={column} />}
      {column.state === 'pending' && (
        <Frame width={width} height={height}>
          <div className="w-full max-w-[220px] space-y-2 text-xs text-zinc-300" data-testid="column-progress">
            <p>
              {column.status === 'queued'
                ? column.position
                  ? `Waiting in the queue (position ${column.position})`
                  : 'Waiting in the queue'
                : column.progress
                  ? describeProgress(column.progress)
                  : `Loading the ${label} pipeline…`}
            </p>
            {column.progress?.phase === 'denoise' && column.progress.totalSteps ? (
              <div className="h-1 overflow-hidden rounded-full bg-zinc-800">
                <Styled as="div" className="h-full rounded-full bg-indigo-400" css={{ width: `${(100 * (column.progress.step ?? 0)) / column.progress.totalSteps}%` }} />
              </div>
            ) : null}
          </div>
        </Frame>
      )}
      {column.state === 'failed' && (
        <Frame width={width} height={height} compact>
          <p className="text-xs leading-relaxed text-rose-300" data-testid="column-reason">
            {column.error.message}
            {column.error.hint && <span className="block text-zinc-400">{column.error.hint}</span>}
          </p>
        </Frame>
      )}
      {column.state === 'unavailable' && (
        <Frame width={width} height={height} compact>
          <div className="space-y-1.5 text-xs leading-relaxed">
            <p className="font-medium text-zinc-200">{label} cannot run on this machine</p>
            <p className="text-zinc-400" data-testid="column-reason">
              {column.reason}
            </p>
            <p className="text-zinc-400">{PRECISION_NOTES[column.precision]}</p>
          </div>
        </Frame>
      )}
    </li>
  );
}

function ResultColumn({ column }: { column: Extract<ColumnView, { state: 'result' }> }) {
  const { result } = column;
  const health = healthLine(result);
  const memory = memoryBadge(result.memory);
  const rows: [string, string][] = [
    ['Time', formatDuration(result.durationMs)],
    ['VRAM', memory.text],
    ['NaN/Inf at the end', result.health ? nonFiniteAtEnd(result.health).toLocaleString('en-US') : 'not recorded'],
    ['First bad step', result.health ? (result.health.firstBadStep !== undefined ? String(result.health.firstBadStep) : 'none') : 'not recorded'],
    ['Black pixels', result.health ? formatShare(result.health.image.blackFraction) : 'not recorded'],
  ];
  return (
    <>
      <a href={shareUrl(result.id)} className="block overflow-hidden rounded-md bg-zinc-950" title="Open this result's page">
        {/* eslint-disable-next-line @next/next/no-img-element -- the stored PNG, served as is. */}
        <img src={imageUrl(result.id)} alt={`${PRECISION_LABELS[column.precision]}: ${result.request.prompt}`} width={result.request.width} height={result.request.height} className="h-auto w-full" />
      </a>
      <div className="flex flex-wrap items-center gap-1.5">
        <PrecisionBadge record={result} />
      </div>
      {health && (
        <p className="text-xs font-medium text-rose-300" data-testid="health-line">
          {health}
        </p>
      )}
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs" data-testid="column-numbers">
        {rows.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-zinc-400">{name}</dt>
            <dd className="font-mono text-zinc-200">{value}</dd>
          </div>
        ))}
      </dl>
      <EvidenceDetails record={result} />
    </>
  );
}
