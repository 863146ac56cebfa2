'use client';
// The saved history (newest first, paged): thumbnails that open in the viewer and restore their settings.
// Deliberately loads thumbnails only; the full PNG loads when a result is opened.
import { truncate } from '@/lib/format.ts';
import { thumbnailUrl } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { ReuseIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';

export function HistoryGrid() {
  const results = useStudio((state) => state.results);
  const total = useStudio((state) => state.total);
  const selectedId = useStudio((state) => state.selectedId ?? state.results[0]?.id ?? null);
  const nextCursor = useStudio((state) => state.nextCursor);
  const loadingMore = useStudio((state) => state.loadingMore);
  const galleryError = useStudio((state) => state.galleryError);
  const loadMore = useStudio((state) => state.loadMore);
  const select = useStudio((state) => state.select);
  const reuse = useStudio((state) => state.reuse);

  return (
    <section aria-labelledby="history-heading" className="space-y-3">
      <div className="flex items-baseline justify-between">
        <h2 id="history-heading" className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-500">
          History
        </h2>
        <span className="text-xs text-zinc-500">
          {total} {total === 1 ? 'image' : 'images'}
        </span>
      </div>
      {results.length === 0 ? (
        <p className="text-xs text-zinc-500">Results are saved here and survive restarts.</p>
      ) : (
        <ul className="grid grid-cols-[repeat(auto-fill,minmax(132px,1fr))] gap-3">
          {results.map((result) => (
            <li
              key={result.id}
              data-testid="history-item"
              data-result-id={result.id}
              className={`group overflow-hidden rounded-md border bg-zinc-900/60 transition ${
                result.id === selectedId ? 'border-indigo-400/70 ring-1 ring-indigo-400/40' : 'border-zinc-800 hover:border-zinc-600'
              }`}
            >
              <button
                type="button"
                className="block aspect-square w-full bg-zinc-950"
                onClick={() => select(result.id)}
                aria-current={result.id === selectedId ? 'true' : undefined}
                aria-label={`Open: ${truncate(result.request.prompt, 80)}`}
              >
                {/* eslint-disable-next-line @next/next/no-img-element -- stored thumbnails, already small. */}
                <img
                  src={thumbnailUrl(result.id)}
                  alt=""
                  loading="lazy"
                  className="h-full w-full object-cover"
                />
              </button>
              <div className="space-y-1 px-2 py-1.5">
                <p className="truncate text-[11px] text-zinc-300" title={result.request.prompt}>
                  {result.request.prompt}
                </p>
                <div className="flex items-center justify-between gap-1">
                  <span className="truncate font-mono text-[10px] text-zinc-500">
                    {result.request.width}×{result.request.height} · {result.request.steps} st
                  </span>
                  <button
                    type="button"
                    className={`${buttonClass.ghost} px-1 py-0.5 text-[10px]`}
                    onClick={() => reuse(result)}
                    title="Restore these settings in the form"
                    aria-label="Restore settings"
                  >
                    <ReuseIcon /> Restore
                  </button>
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {galleryError && <p className="text-xs text-rose-300">{galleryError.message}</p>}
      {nextCursor && (
        <button type="button" className={buttonClass.secondary} onClick={() => void loadMore()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : `Load more (${total - results.length} older)`}
        </button>
      )}
    </section>
  );
}
