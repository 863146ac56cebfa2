// What a result ran with: badges backed by evidence — the census verdict of the precision that did the work (green,
// amber or red, the reasons on hover and focus), the measured VRAM, the time — a health line when the numbers went
// wrong, and the full parameter list. Hook-free so the share page renders it on the server and the studio in the
// browser. Deliberately shows what was measured and says when something was not, never a guess.
import { formatDuration, formatTimestamp } from '@/lib/format.ts';
import { healthLine, memoryBadge, precisionBadge } from '@/lib/evidence.ts';
import { PRECISION_LABELS, runBadge } from '@/lib/precision.ts';
import { imageUrl, type ResultRecord } from '@/lib/results.ts';
import { Badge, type BadgeTone } from '@/components/ui/primitives.tsx';

const LEVEL_TONE: Record<ReturnType<typeof precisionBadge>['level'], BadgeTone> = {
  green: 'success',
  amber: 'warn',
  red: 'danger',
  unknown: 'neutral',
};

const LEVEL_LEAD = {
  amber: 'The requested precision ran, with exceptions:',
  red: 'The requested precision did NOT do the work:',
} as const;

/** The census verdict as a badge; amber and red ones are focusable and show their reasons on hover and focus. */
/** The stored PNG at its own size, scaled down to fit (`className` sets the bounds). */
export function ResultImage({ record, className }: { record: ResultRecord; className: string }) {
  return (
    // eslint-disable-next-line @next/next/no-img-element -- PNGs are served as stored; no resizing service.
    <img src={imageUrl(record.id)} alt={record.request.prompt} width={record.request.width} height={record.request.height} className={className} />
  );
}

export function PrecisionBadge({ record }: { record: ResultRecord }) {
  const badge = precisionBadge(record);
  const tone = LEVEL_TONE[badge.level];
  if (badge.level !== 'amber' && badge.level !== 'red') {
    return (
      <span title={badge.title} data-testid="badge-run" data-level={badge.level} className="inline-flex">
        <Badge tone={tone}>{badge.text}</Badge>
      </span>
    );
  }
  const tipId = `verdict-${record.id}`;
  return (
    <span className="group relative inline-flex">
      <span
        tabIndex={0}
        aria-describedby={tipId}
        data-testid="badge-run"
        data-level={badge.level}
        className="inline-flex cursor-help rounded focus-visible:outline-offset-1"
      >
        <Badge tone={tone}>{badge.text}</Badge>
      </span>
      <span
        id={tipId}
        role="tooltip"
        className="pointer-events-none absolute left-0 top-full z-20 mt-1.5 hidden w-72 max-w-[80vw] rounded-md border border-zinc-700 bg-zinc-900 px-2.5 py-2 text-[11px] leading-relaxed text-zinc-200 shadow-lg group-hover:block group-focus-within:block"
      >
        <span className="block font-semibold">{LEVEL_LEAD[badge.level]}</span>
        {badge.reasons.map((reason) => (
          <span key={reason} className="block">
            • {reason}
          </span>
        ))}
      </span>
    </span>
  );
}

export function ResultBadges({ record }: { record: ResultRecord }) {
  const { request } = record;
  const badge = runBadge(record.components);
  const precision = precisionBadge(record);
  const memory = memoryBadge(record.memory);
  const health = healthLine(record);
  const detail = record.components
    .map((component) => `${component.component.toUpperCase()}: ${PRECISION_LABELS[component.precision]} on ${component.ep.toUpperCase()} (${component.reason})`)
    .join('\n');
  return (
    <div className="space-y-1.5">
      <div className="flex flex-wrap items-center gap-1.5" aria-label="Run badges">
        <PrecisionBadge record={record} />
        {badge.differing.map((text) => (
          <Badge key={text} title={detail}>
            {text}
          </Badge>
        ))}
        <Badge title={memory.title} testId="badge-vram">
          <span className="text-zinc-400">VRAM</span> {memory.text}
        </Badge>
        <Badge title={`Queued ${formatDuration(record.queuedMs)} before it started`} testId="badge-time">
          {formatDuration(record.durationMs)}
        </Badge>
        {request.loras && request.loras.length > 0 && (
          <Badge title={request.loras.map((l) => `${l.name} × ${l.weight}${l.sha256 ? ` (sha256 ${l.sha256.slice(0, 12)})` : ''}`).join('\n')} testId="badge-loras">
            <span className="text-zinc-400">LoRA</span> {request.loras.map((l) => `${l.name.split('/').pop()} ${l.weight}`).join(' + ')}
          </Badge>
        )}
        {record.model.tiny && (
          <Badge tone="warn" title="Tiny random-weights demo model: noise-like images by design.">
            tiny demo
          </Badge>
        )}
      </div>
      {precision.scopeNote && (
        <p className="text-[11px] leading-snug text-zinc-400" data-testid="census-scope">
          The precision check was {precision.scopeNote}: this image ran on the same loaded model files, with the same
          kernels, so which number formats did the work cannot have changed; profiling every run would slow it down.
        </p>
      )}
      {health && (
        <p className="text-xs font-medium leading-snug text-rose-300" data-testid="health-line">
          {health}
        </p>
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
    ...(request.loras?.length ? [['LoRAs', request.loras.map((l) => `${l.name} × ${l.weight}`).join(', ')] as [string, string]] : []),
    ['Tokens', `${record.tokens.count}${record.tokens.truncated ? ' (cut at 512)' : ''}`],
    ['Created', formatTimestamp(record.createdAt)],
  ];
  // image input and the hires fix, as A1111 names them
  if (request.image) {
    rows.splice(2, 0, ['Denoising strength', String(request.image.strength)]);
    if (request.image.masked) rows.splice(3, 0, ['Mask blur', `${request.image.maskBlur} px${request.image.onlyMasked ? ', only masked' : ''}`]);
    if (request.image.sourceHash) rows.push(['Source', request.image.sourceHash.startsWith('result:') ? `result ${request.image.sourceHash.slice(7)}` : `sha256 ${request.image.sourceHash.slice(0, 16)}…`]);
  }
  if (request.hires) rows.splice(2, 0, ['Hires upscale', `×${request.hires.scale} (Lanczos), strength ${request.hires.strength}`]);
  if (record.size) rows.splice(1, 1, ['Size', `${record.size.width} × ${record.size.height} (request ${request.width} × ${request.height})`]);
  return (
    <div className="space-y-3 text-sm">
      <div>
        <h3 className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-400">Prompt</h3>
        <p className="mt-1 whitespace-pre-wrap break-words leading-relaxed text-zinc-100" data-testid="result-prompt">
          {request.prompt}
        </p>
      </div>
      {request.negativePrompt && (
        <div>
          <h3 className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-400">Negative prompt</h3>
          <p className="mt-1 whitespace-pre-wrap break-words leading-relaxed text-zinc-300">{request.negativePrompt}</p>
        </div>
      )}
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-xs" aria-label="Parameters">
        {rows.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-zinc-400">{name}</dt>
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
