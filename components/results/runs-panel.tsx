'use client';
// This session's jobs: waiting ones with their place in line, the running one with live progress from SSE (step
// k/N, the decode as it happens, elapsed, an ETA that includes the decode and the rest of a batch) and the live
// preview of each image forming, and ended ones with their outcome: a batch's grid of results, each selectable,
// downloadable and shareable. The newest ended run stays open; older ones fold to one line so the newest image stays
// in view. When the server goes away the card says so at once, and the real state once it is back.
import { useEffect, useRef } from 'react';
import { describeProgress, formatDuration, truncate } from '@/lib/format.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import type { StudioJob } from '@/lib/system.ts';
import type { ApiErrorBody } from '@/lib/errors.ts';
import { jobSeeds } from '@/lib/system.ts';
import { CloseIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';
import { Styled } from '@/components/ui/styled.tsx';
import { BatchGrid } from './batch-grid.tsx';

export function RunsPanel() {
  const jobs = useStudio((state) => state.jobs);
  const lostJobs = useStudio((state) => state.lostJobs);
  const disconnected = useStudio((state) => state.disconnected);
  const clearEnded = useStudio((state) => state.clearEnded);
  const section = useRef<HTMLElement>(null);
  const newest = jobs[0]?.id;
  // On a phone the controls sit above the results: a new job brings its card into view.
  useEffect(() => {
    if (newest && window.matchMedia('(max-width: 1023px)').matches) section.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [newest]);
  if (jobs.length === 0) return null;
  // Numbered in the order they were queued (1 = the first of this session), so repeated buttons have distinct names.
  const numbers = new Map([...jobs].reverse().map((job, index) => [job.id, index + 1]));
  // Read like the queue itself: the running job, then the waiting ones in line order, then ended ones, newest first.
  const rank = (job: StudioJob) => (job.status === 'running' ? 0 : job.status === 'queued' ? 1 : 2);
  const ordered = [...jobs].sort(
    (a, b) => rank(a) - rank(b) || (rank(a) === 1 ? (a.position ?? 0) - (b.position ?? 0) : b.createdAt - a.createdAt),
  );
  const newestEnded = ordered.find((job) => rank(job) === 2)?.id;
  const lost = Object.keys(disconnected).length > 0;
  return (
    <section ref={section} aria-labelledby="runs-heading" className="scroll-mt-4 space-y-2">
      <div className="flex items-center justify-between">
        <h2 id="runs-heading" className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-400">
          Runs
        </h2>
        {newestEnded && (
          <button type="button" className={buttonClass.ghost} onClick={clearEnded}>
            Clear finished
          </button>
        )}
      </div>
      {lost && (
        <p role="alert" data-testid="connection-lost" className="rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-xs text-amber-100">
          Connection lost: the server does not answer. Retrying every few seconds; the real state shows as soon as it is back.
        </p>
      )}
      <ul className="space-y-1.5">
        {ordered.map((job) => (
          <JobRow
            key={job.id}
            job={job}
            number={numbers.get(job.id)!}
            lost={lostJobs[job.id]}
            disconnected={Boolean(disconnected[job.id])}
            folded={rank(job) === 2 && job.id !== newestEnded}
          />
        ))}
      </ul>
    </section>
  );
}

const STATUS_STYLE: Record<StudioJob['status'] | 'interrupted' | 'offline', { label: string; className: string }> = {
  queued: { label: 'Waiting', className: 'bg-zinc-700 text-zinc-100' },
  running: { label: 'Running', className: 'bg-indigo-500/20 text-indigo-200' },
  succeeded: { label: 'Done', className: 'bg-emerald-500/15 text-emerald-300' },
  failed: { label: 'Failed', className: 'bg-rose-500/15 text-rose-300' },
  interrupted: { label: 'Interrupted', className: 'bg-amber-500/15 text-amber-200' },
  canceled: { label: 'Canceled', className: 'bg-zinc-800 text-zinc-300' },
  offline: { label: 'Connection lost', className: 'bg-amber-500/15 text-amber-200' },
};

/** What the card says about a running job: the step (with the image of a batch), the decode while it runs. */
function runningDetail(job: StudioJob): string {
  const progress = job.progress;
  if (!progress) return 'Loading the model…';
  const image = progress.images ? `Image ${progress.image}/${progress.images} · ` : '';
  if (progress.phase === 'decode' && progress.started) {
    const eta = progress.etaMs !== undefined ? ` · ETA ${formatDuration(progress.etaMs)}` : '';
    return `${image}Decoding the image (VAE) · ${formatDuration(progress.elapsedMs)} elapsed${eta}`;
  }
  if (progress.phase === 'decode') return `${image}Writing the PNG · ${formatDuration(progress.elapsedMs)} elapsed`;
  const text = describeProgress(progress);
  return `${image}${text}${progress.phase === 'denoise' && progress.etaWithoutDecode ? ' + the decode' : ''}`;
}

function JobRow({ job, number, lost, disconnected, folded }: { job: StudioJob; number: number; lost?: ApiErrorBody; disconnected: boolean; folded: boolean }) {
  const cancel = useStudio((state) => state.cancel);
  const select = useStudio((state) => state.select);
  const previews = useStudio((state) => state.previews[job.id]);
  const { request } = job.input;
  const count = jobSeeds(job.input).length;
  const interrupted = job.status === 'failed' && job.error?.code === 'interrupted';
  const styleKey = disconnected && !['succeeded', 'failed', 'canceled'].includes(job.status) ? 'offline' : interrupted ? 'interrupted' : job.status;
  const style = STATUS_STYLE[styleKey];
  const active = job.status === 'queued' || job.status === 'running';
  const denoise = job.progress?.phase === 'denoise' ? job.progress : undefined;
  const decoding = job.progress?.phase === 'decode' || job.progress?.phase === 'png';
  // Finished runs keep a full bar: every step ran. A decode fills the bar: every step has run.
  const total = (denoise?.totalSteps ?? request.steps) * count;
  const done = job.status === 'succeeded' ? total : ((job.progress?.image ?? 1) - 1) * request.steps + (decoding ? request.steps : (denoise?.step ?? 0));

  let detail: string;
  if (lost) detail = lost.message;
  else if (disconnected && active) detail = `Connection lost; last heard: ${job.status === 'running' ? runningDetail(job) : 'waiting in line'}.`;
  else if (job.status === 'queued') detail = job.position === 1 ? 'Next in line' : `Position ${job.position} in line`;
  else if (job.status === 'running') detail = runningDetail(job);
  else if (job.status === 'succeeded') {
    detail = `${count > 1 ? `${count} images · ` : ''}Step ${request.steps}/${request.steps} · finished in ${formatDuration(job.finishedAt && job.startedAt ? job.finishedAt - job.startedAt : (job.output?.durationMs ?? 0))}`;
  } else if (interrupted) detail = job.error!.message;
  else if (job.status === 'failed') detail = job.error ? `${job.error.message}${job.error.hint ? ` ${job.error.hint}` : ''}` : 'Failed.';
  else detail = 'Canceled before it finished.';

  const label = `Job ${number}`;
  return (
    <li
      data-testid="job-card"
      data-status={job.status}
      data-connection={disconnected ? 'lost' : 'live'}
      data-folded={folded ? 'true' : undefined}
      className="rounded-md border border-zinc-800 bg-zinc-900/70 px-3 py-2"
      aria-label={`${label}, ${style.label}: ${truncate(request.prompt, 60)}`}
    >
      <div className="flex items-center gap-2">
        <span className={`shrink-0 rounded px-1.5 py-0.5 text-[10px] font-semibold uppercase tracking-wide ${style.className}`}>
          {job.status === 'queued' && job.position ? `#${job.position} ` : ''}
          {style.label}
        </span>
        <p className="min-w-0 flex-1 truncate text-xs text-zinc-300">{request.prompt}</p>
        <span className="hidden shrink-0 font-mono text-[11px] text-zinc-400 sm:inline">
          {count > 1 ? `${count} × ` : ''}
          {request.width}×{request.height} · {request.steps} st
        </span>
        {active && (
          <button type="button" className={buttonClass.ghost} onClick={() => void cancel(job.id)} aria-label={`Cancel job ${number}`}>
            <CloseIcon /> Cancel
          </button>
        )}
        {job.status === 'succeeded' && job.output && (
          <button type="button" className={buttonClass.ghost} onClick={() => select(job.output!.id)} aria-label={`Show the result of job ${number}`}>
            Show
          </button>
        )}
      </div>
      {!folded && (job.status === 'running' || job.status === 'succeeded') && (
        <div
          role="progressbar"
          aria-label="Denoising progress"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={done}
          aria-valuetext={`Step ${done} of ${total}`}
          className="mt-2 h-1 overflow-hidden rounded-full bg-zinc-800"
        >
          <Styled
            as="div"
            className={`h-full rounded-full transition-[width] duration-300 ${job.status === 'succeeded' ? 'bg-emerald-500/70' : decoding ? 'animate-pulse bg-indigo-300' : 'bg-indigo-400'}`}
            css={{ width: `${total > 0 ? (100 * done) / total : 0}%` }}
          />
        </div>
      )}
      {!folded && (
        <p
          className={`mt-1.5 font-mono text-[11px] ${job.status === 'failed' && !interrupted ? 'text-rose-300' : lost || disconnected || interrupted ? 'text-amber-200' : 'text-zinc-400'}`}
          data-testid="job-detail"
          aria-live={job.status === 'running' && !disconnected ? 'off' : 'polite'}
        >
          {detail}
        </p>
      )}
      {!folded && (job.status === 'running' || job.status === 'succeeded' || (previews && active)) && (
        <BatchGrid job={job} number={number} previews={previews} />
      )}
    </li>
  );
}
