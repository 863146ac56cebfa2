'use client';
// This session's jobs: waiting ones with their place in line, the running one with live per-step progress from SSE
// (step k/N, elapsed, ETA), and ended ones with their outcome. Cancel works on waiting and running jobs.
import { describeProgress, formatDuration, truncate } from '@/lib/format.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import type { StudioJob } from '@/lib/system.ts';
import type { ApiErrorBody } from '@/lib/errors.ts';
import { CloseIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';
import { Styled } from '@/components/ui/styled.tsx';

export function RunsPanel() {
  const jobs = useStudio((state) => state.jobs);
  const lostJobs = useStudio((state) => state.lostJobs);
  const clearEnded = useStudio((state) => state.clearEnded);
  if (jobs.length === 0) return null;
  // Read like the queue itself: the running job, then the waiting ones in line order, then ended ones, newest first.
  const rank = (job: StudioJob) => (job.status === 'running' ? 0 : job.status === 'queued' ? 1 : 2);
  const ordered = [...jobs].sort(
    (a, b) => rank(a) - rank(b) || (rank(a) === 1 ? (a.position ?? 0) - (b.position ?? 0) : b.createdAt - a.createdAt),
  );
  const hasEnded = ordered.some((job) => rank(job) === 2);
  return (
    <section aria-labelledby="runs-heading" className="space-y-2">
      <div className="flex items-center justify-between">
        <h2 id="runs-heading" className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-500">
          Runs
        </h2>
        {hasEnded && (
          <button type="button" className={buttonClass.ghost} onClick={clearEnded}>
            Clear finished
          </button>
        )}
      </div>
      <ul className="space-y-1.5">
        {ordered.map((job) => (
          <JobRow key={job.id} job={job} lost={lostJobs[job.id]} />
        ))}
      </ul>
    </section>
  );
}

const STATUS_STYLE: Record<StudioJob['status'], { label: string; className: string }> = {
  queued: { label: 'Waiting', className: 'bg-zinc-700 text-zinc-200' },
  running: { label: 'Running', className: 'bg-indigo-500/20 text-indigo-200' },
  succeeded: { label: 'Done', className: 'bg-emerald-500/15 text-emerald-300' },
  failed: { label: 'Failed', className: 'bg-rose-500/15 text-rose-300' },
  canceled: { label: 'Canceled', className: 'bg-zinc-800 text-zinc-400' },
};

function JobRow({ job, lost }: { job: StudioJob; lost?: ApiErrorBody }) {
  const cancel = useStudio((state) => state.cancel);
  const select = useStudio((state) => state.select);
  const { request } = job.input;
  const style = STATUS_STYLE[job.status];
  const active = job.status === 'queued' || job.status === 'running';
  const denoise = job.progress?.phase === 'denoise' ? job.progress : undefined;
  // Finished runs keep a full bar: every step ran.
  const step = job.status === 'succeeded' ? request.steps : (denoise?.step ?? 0);
  const total = denoise?.totalSteps ?? request.steps;

  let detail: string;
  if (lost) detail = lost.message;
  else if (job.status === 'queued') detail = job.position === 1 ? 'Next in line' : `Position ${job.position} in line`;
  else if (job.status === 'running') detail = job.progress ? describeProgress(job.progress) : 'Loading the model…';
  else if (job.status === 'succeeded') {
    detail = `Step ${request.steps}/${request.steps} · finished in ${formatDuration(job.output?.durationMs ?? 0)}`;
  } else if (job.status === 'failed') detail = job.error ? `${job.error.message}${job.error.hint ? ` ${job.error.hint}` : ''}` : 'Failed.';
  else detail = 'Canceled before it finished.';

  return (
    <li
      data-testid="job-card"
      data-status={job.status}
      className="rounded-md border border-zinc-800 bg-zinc-900/70 px-3 py-2"
      aria-label={`${style.label}: ${truncate(request.prompt, 60)}`}
    >
      <div className="flex items-center gap-2">
        <span className={`shrink-0 rounded px-1.5 py-0.5 text-[10px] font-semibold uppercase tracking-wide ${style.className}`}>
          {job.status === 'queued' && job.position ? `#${job.position} ` : ''}
          {style.label}
        </span>
        <p className="min-w-0 flex-1 truncate text-xs text-zinc-300">{request.prompt}</p>
        <span className="hidden shrink-0 font-mono text-[11px] text-zinc-500 sm:inline">
          {request.width}×{request.height} · {request.steps} st
        </span>
        {active && (
          <button type="button" className={buttonClass.ghost} onClick={() => void cancel(job.id)} aria-label="Cancel job">
            <CloseIcon /> Cancel
          </button>
        )}
        {job.status === 'succeeded' && job.output && (
          <button type="button" className={buttonClass.ghost} onClick={() => select(job.output!.id)}>
            Show
          </button>
        )}
      </div>
      {(job.status === 'running' || job.status === 'succeeded') && (
        <div
          role="progressbar"
          aria-label="Denoising progress"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={step}
          aria-valuetext={`Step ${step} of ${total}`}
          className="mt-2 h-1 overflow-hidden rounded-full bg-zinc-800"
        >
          <Styled
            as="div"
            className={`h-full rounded-full transition-[width] duration-300 ${job.status === 'succeeded' ? 'bg-emerald-500/70' : 'bg-indigo-400'}`}
            css={{ width: `${total > 0 ? (100 * step) / total : 0}%` }}
          />
        </div>
      )}
      <p
        className={`mt-1.5 font-mono text-[11px] ${job.status === 'failed' || lost ? 'text-rose-300' : 'text-zinc-400'}`}
        data-testid="job-detail"
        aria-live={job.status === 'running' ? 'off' : 'polite'}
      >
        {detail}
      </p>
    </li>
  );
}
