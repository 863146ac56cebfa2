'use client';
// The images of one job on its card: while it runs, the live preview of each image forming (the latents → RGB
// projection the engine streams every step, lib/jpeg.ts), one slot per image of a batch; once a batch is done, its
// results as thumbnails, each selectable (opens it in the viewer), downloadable and shareable. A single finished image
// shows only in the viewer. Deliberately holds no state of its own but the "link copied" note.
import { useState } from 'react';
import { downloadName, imageUrl, shareUrl, thumbnailUrl, type ResultRecord } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { jobSeeds, type StudioJob } from '@/lib/system.ts';
import { DownloadIcon, ShareIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';

export function BatchGrid({ job, number, previews }: { job: StudioJob; number: number; previews?: string[] }) {
  const count = jobSeeds(job.input).length;
  const ids = job.output?.batch?.ids ?? (job.output ? [job.output.id] : []);
  const results = useStudio((state) => state.results);
  const records = ids.map((id) => results.find((result) => result.id === id));
  if (job.status === 'succeeded') {
    if (count < 2) return null;
    return (
      <ul className="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-4" aria-label={`Images of job ${number}`} data-testid="batch-grid">
        {records.map((record, index) =>
          record ? <BatchResult key={record.id} record={record} index={index} count={count} /> : <li key={ids[index]} className="aspect-square rounded bg-zinc-800/60" />,
        )}
      </ul>
    );
  }
  if (job.status !== 'running') return null;
  const current = (job.progress?.image ?? 1) - 1;
  return (
    <ul className={`mt-2 grid gap-2 ${count > 1 ? 'grid-cols-4' : 'grid-cols-[minmax(0,160px)]'}`} aria-label={`Live previews of job ${number}`}>
      {Array.from({ length: count }, (_, index) => {
        const preview = previews?.[index];
        const state = index < current ? 'done' : index === current ? 'forming' : 'waiting';
        return (
          <li key={index} data-testid="preview-slot" data-state={state} className="relative aspect-square overflow-hidden rounded bg-zinc-800/60">
            {preview ? (
              // eslint-disable-next-line @next/next/no-img-element -- a data: URL from the job's events.
              <img
                src={preview}
                alt={`Preview of image ${index + 1} of ${count}${state === 'forming' ? `, step ${job.progress?.step ?? 0}` : ''}`}
                data-testid="live-preview"
                className="h-full w-full object-cover [image-rendering:auto]"
              />
            ) : (
              <span className="absolute inset-0 grid place-items-center text-[11px] text-zinc-400">{state === 'waiting' ? `Image ${index + 1}` : '…'}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function BatchResult({ record, index, count }: { record: ResultRecord; index: number; count: number }) {
  const select = useStudio((state) => state.select);
  const selected = useStudio((state) => state.selectedId === record.id);
  const [copied, setCopied] = useState<string | null>(null);
  const name = `image ${index + 1} of ${count} (seed ${record.request.seed})`;
  const share = async () => {
    const url = new URL(shareUrl(record.id), window.location.origin).toString();
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Link copied');
    } catch {
      setCopied(url);
    }
  };
  return (
    <li data-testid="batch-item" data-result-id={record.id} className={`overflow-hidden rounded border ${selected ? 'border-indigo-400/70' : 'border-zinc-800'}`}>
      <button type="button" className="block aspect-square w-full bg-zinc-950" onClick={() => select(record.id)} aria-label={`Open ${name}`} aria-current={selected ? 'true' : undefined}>
        {/* eslint-disable-next-line @next/next/no-img-element -- stored thumbnails, already small. */}
        <img src={thumbnailUrl(record.id)} alt="" className="h-full w-full object-cover" />
      </button>
      <div className="flex items-center justify-between gap-1 px-1 py-1">
        <span className="truncate font-mono text-[10px] text-zinc-400">{record.request.seed}</span>
        <span className="flex">
          <a className={`${buttonClass.ghost} px-1`} href={imageUrl(record.id, { download: true })} download={downloadName(record, true)} aria-label={`Download ${name}`}>
            <DownloadIcon />
          </a>
          <button type="button" className={`${buttonClass.ghost} px-1`} onClick={() => void share()} aria-label={`Share ${name}`}>
            <ShareIcon />
          </button>
        </span>
      </div>
      {copied && (
        <p role="status" className="break-all px-1 pb-1 text-[10px] text-zinc-300">
          {copied}
        </p>
      )}
    </li>
  );
}
