// What a result ran with: honest badges (the precision each component actually ran in and where, memory, time) and
// the full parameter list. Hook-free so the share page renders it on the server and the studio in the browser.
import { formatDuration, formatTimestamp } from '@/lib/format.ts';
import { PRECISION_LABELS, runBadge } from '@/lib/precision.ts';
import type { MemoryUsage, ResultRecord } from '@/lib/results.ts';
import { Badge } from '@/components/ui/primitives.tsx';

function memoryBadge(memory: MemoryUsage): { text: string; title: string } {
  if (memory.kind === 'cpu') return { text: 'CPU', title: 'Ran on the CPU: no GPU memory was used.' };
  const total = memory.totalMiB ? `${(memory.totalMiB / 1024).toFixed(0)} GiB` : '?';
  if (memory.peakMiB === undefined) return { text: `— / ${total}`, title: 'The peak VRAM of this run was not measured.' };
  return { text: `${(memory.peakMiB / 1024).toFixed(1)} / ${total}`, title: 'Measured peak VRAM during this run / card total.' };
}

export function ResultBadges({ record }: { record: ResultRecord }) {
  const badge = runBadge(record.components);
  const memory = memoryBadge(record.memory);
  const detail = record.components
    .map((component) => `${component.component.toUpperCase()}: ${PRECISION_LABELS[component.precision]} on ${component.ep.toUpperCase()} (${component.reason})`)
    .join('\n');
  return (
    <div className="flex flex-wrap items-center gap-1.5" aria-label="Run badges">
      <Badge tone="accent" title={detail} testId="badge-run">
        {badge.label}
      </Badge>
      {badge.differing.map((text) => (
        <Badge key={text} title={detail}>
          {text}
        </Badge>
      ))}
      <Badge title={memory.title} testId="badge-vram">
        <span className="text-zinc-500">VRAM</span> {memory.text}
      </Badge>
      <Badge title={`Queued ${formatDuration(record.queuedMs)} before it started`} testId="badge-time">
        {formatDuration(record.durationMs)}
      </Badge>
      {record.model.tiny && (
        <Badge tone="warn" title="Tiny random-weights demo model: noise-like images by design.">
          tiny demo
        </Badge>
      )}
    </div>
  );
}

export function ResultParameters({ record }: { record: ResultRecord }) {
  const { request } = record;
  const rows: [string, string][] = [
    ['Model', record.model.name],
    ['Size', `${request.width} × ${request.height}`],
    ['Steps', String(request.steps)],
    ['CFG', request.cfg === 1 ? '1 (off)' : String(request.cfg)],
    ['Seed', String(request.seed)],
    ['Precision', PRECISION_LABELS[request.precision]],
    ['Tokens', `${record.tokens.count}${record.tokens.truncated ? ' (cut at 512)' : ''}`],
    ['Created', formatTimestamp(record.createdAt)],
  ];
  return (
    <div className="space-y-3 text-sm">
      <div>
        <h3 className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-500">Prompt</h3>
        <p className="mt-1 whitespace-pre-wrap break-words leading-relaxed text-zinc-100" data-testid="result-prompt">
          {request.prompt}
        </p>
      </div>
      {request.negativePrompt && (
        <div>
          <h3 className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-500">Negative prompt</h3>
          <p className="mt-1 whitespace-pre-wrap break-words leading-relaxed text-zinc-300">{request.negativePrompt}</p>
        </div>
      )}
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-xs" aria-label="Parameters">
        {rows.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-zinc-500">{name}</dt>
            <dd className="break-all font-mono text-zinc-200">{value}</dd>
          </div>
        ))}
      </dl>
      {record.tokens.truncated && (
        <p className="text-xs text-amber-300">The prompt was longer than 512 tokens; the rest was not read.</p>
      )}
    </div>
  );
}
