'use client';
// The selected result (the newest by default) at full size, with its badges, parameters, evidence and actions; a
// click on the image opens the lightbox. Picking a result (in the history, on a batch card) or a new result
// arriving scrolls it into view. With nothing to show, the empty state fits the moment: a job running, or none yet,
// worded for the layout (the controls are on the left on wide screens, above on a phone).
import { useEffect, useRef, useState } from 'react';
import { useStudio } from '@/lib/state/provider.tsx';
import { ResultActions } from './result-actions.tsx';
import { EvidenceDetails } from './evidence-details.tsx';
import { Lightbox } from './lightbox.tsx';
import { ResultBadges, ResultImage, ResultParameters } from './result-details.tsx';

export function ResultViewer() {
  const record = useStudio((state) => state.results.find((result) => result.id === state.selectedId) ?? state.results[0]);
  const revealNonce = useStudio((state) => state.revealNonce);
  const active = useStudio((state) => state.jobs.some((job) => job.status === 'running' || job.status === 'queued'));
  const [lightbox, setLightbox] = useState(false);
  const article = useRef<HTMLElement>(null);

  useEffect(() => {
    if (revealNonce > 0) article.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [revealNonce]);

  if (!record) {
    return (
      <div className="flex min-h-[200px] flex-col items-center justify-center rounded-lg border border-dashed border-zinc-800 bg-zinc-900/30 p-8 text-center lg:min-h-[320px]" data-testid="empty-viewer">
        {active ? (
          <p className="text-sm font-medium text-zinc-300">Your first image is on its way: it appears here when the run above finishes.</p>
        ) : (
          <>
            <p className="text-sm font-medium text-zinc-300">No images yet</p>
            <p className="mt-1 max-w-sm text-xs leading-relaxed text-zinc-400">
              <span className="hidden lg:inline">Write a prompt on the left and press Generate (Ctrl/⌘ + Enter).</span>
              <span className="lg:hidden">Write a prompt above and press Generate at the bottom of the screen.</span> Progress
              shows here step by step; every result is kept in the history below, across restarts.
            </p>
          </>
        )}
      </div>
    );
  }
  return (
    <article
      ref={article}
      data-testid="result-viewer"
      data-result-id={record.id}
      aria-label="Selected result"
      className="grid scroll-mt-4 gap-5 rounded-lg border border-zinc-800 bg-zinc-900/40 p-4 xl:grid-cols-[minmax(0,1fr)_320px]"
    >
      <div className="relative flex min-h-0 items-center justify-center rounded-md bg-[repeating-conic-gradient(#18181b_0%_25%,#111113_0%_50%)] bg-[length:16px_16px]">
        {/* The image opens the lightbox on a click; the button beside it is the keyboard's way in. */}
        <div className="contents cursor-zoom-in" onClick={() => setLightbox(true)}>
          <ResultImage record={record} className="max-h-[68vh] w-auto max-w-full cursor-zoom-in object-contain" />
        </div>
        <button
          type="button"
          className="absolute right-2 top-2 rounded-md border border-zinc-700 bg-zinc-950/80 px-2 py-1 text-xs text-zinc-100 hover:bg-zinc-800"
          onClick={() => setLightbox(true)}
          title="Open in the lightbox: zoom, full screen, arrow keys through the results"
        >
          Enlarge
        </button>
      </div>
      <div className="space-y-4">
        <ResultBadges record={record} />
        <ResultParameters record={record} />
        <EvidenceDetails key={`evidence-${record.id}`} record={record} />
        <ResultActions key={`actions-${record.id}`} record={record} />
      </div>
      {lightbox && <Lightbox record={record} onClose={() => setLightbox(false)} />}
    </article>
  );
}
