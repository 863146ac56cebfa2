'use client';
// The selected result (the newest by default) at full size, with its badges, parameters, evidence and actions.
import { useStudio } from '@/lib/state/provider.tsx';
import { ResultActions } from './result-actions.tsx';
import { EvidenceDetails } from './evidence-details.tsx';
import { ResultBadges, ResultImage, ResultParameters } from './result-details.tsx';

export function ResultViewer() {
  const record = useStudio((state) => state.results.find((result) => result.id === state.selectedId) ?? state.results[0]);
  if (!record) {
    return (
      <div className="flex min-h-[320px] flex-col items-center justify-center rounded-lg border border-dashed border-zinc-800 bg-zinc-900/30 p-8 text-center">
        <p className="text-sm font-medium text-zinc-300">No images yet</p>
        <p className="mt-1 max-w-sm text-xs leading-relaxed text-zinc-500">
          Write a prompt on the left and press Generate (Ctrl/⌘ + Enter). Progress shows here step by step; every
          result is kept in the history below, across restarts.
        </p>
      </div>
    );
  }
  return (
    <article
      data-testid="result-viewer"
      data-result-id={record.id}
      aria-label="Selected result"
      className="grid gap-5 rounded-lg border border-zinc-800 bg-zinc-900/40 p-4 xl:grid-cols-[minmax(0,1fr)_320px]"
    >
      <div className="flex min-h-0 items-center justify-center rounded-md bg-[repeating-conic-gradient(#18181b_0%_25%,#111113_0%_50%)] bg-[length:16px_16px]">
        <ResultImage record={record} className="max-h-[68vh] w-auto max-w-full object-contain" />
      </div>
      <div className="space-y-4">
        <ResultBadges record={record} />
        <ResultParameters record={record} />
        <EvidenceDetails key={`evidence-${record.id}`} record={record} />
        <ResultActions key={`actions-${record.id}`} record={record} />
      </div>
    </article>
  );
}
