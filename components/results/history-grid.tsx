'use client';
// The saved history (newest first, paged): thumbnails that open in the viewer and restore their settings, a search
// over prompts, favourites (a star per result, and a favourites-only switch), and a multi-select delete that can be
// undone for a few seconds (the deletes are sent when that window closes, or when the page is left).
// Deliberately loads thumbnails only (small JPEGs); the full PNG loads when a result is opened.
import { useEffect } from 'react';
import { truncate } from '@/lib/format.ts';
import { thumbnailUrl } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { ReuseIcon, StarIcon, TrashIcon } from '@/components/ui/icons.tsx';
import { buttonClass, inputClass } from '@/components/ui/primitives.tsx';

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
  const query = useStudio((state) => state.query);
  const setQuery = useStudio((state) => state.setQuery);
  const favouritesOnly = useStudio((state) => state.favouritesOnly);
  const setFavouritesOnly = useStudio((state) => state.setFavouritesOnly);
  const toggleFavourite = useStudio((state) => state.toggleFavourite);
  const checked = useStudio((state) => state.checked);
  const toggleChecked = useStudio((state) => state.toggleChecked);
  const clearChecked = useStudio((state) => state.clearChecked);
  const removeChecked = useStudio((state) => state.removeChecked);
  const pendingDelete = useStudio((state) => state.pendingDelete);
  const undoDelete = useStudio((state) => state.undoDelete);
  const flushDelete = useStudio((state) => state.flushDelete);
  const filtered = query.trim() !== '' || favouritesOnly;

  // Leaving the page ends the undo window: the deletes go out with keepalive so they outlive the page.
  useEffect(() => {
    const leave = () => flushDelete({ keepalive: true });
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [flushDelete]);

  return (
    <section aria-labelledby="history-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="history-heading" className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-400">
          History
        </h2>
        <span className="text-xs text-zinc-400" data-testid="history-total">
          {total} {total === 1 ? 'image' : 'images'}
          {filtered ? ' found' : ''}
        </span>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <input
          type="search"
          className={`${inputClass} max-w-xs flex-1 py-1 text-xs`}
          placeholder="Search prompts"
          aria-label="Search prompts in the history"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <label className="flex items-center gap-1.5 text-xs text-zinc-300">
          <input type="checkbox" className="h-3.5 w-3.5 accent-indigo-500" checked={favouritesOnly} onChange={(event) => setFavouritesOnly(event.target.checked)} />
          Favourites only
        </label>
        {checked.length > 0 && (
          <span className="flex items-center gap-1.5" role="group" aria-label="Selected images">
            <button type="button" className={`${buttonClass.secondary} border-rose-500/50 text-rose-200`} onClick={removeChecked}>
              <TrashIcon /> Delete {checked.length} selected
            </button>
            <button type="button" className={buttonClass.ghost} onClick={clearChecked}>
              Clear selection
            </button>
          </span>
        )}
      </div>
      {pendingDelete && (
        <p role="status" className="flex items-center gap-2 rounded-md border border-zinc-700 bg-zinc-900 px-3 py-2 text-xs text-zinc-200" data-testid="undo-delete">
          Deleted {pendingDelete.records.length} {pendingDelete.records.length === 1 ? 'image' : 'images'}.
          <button type="button" className={`${buttonClass.secondary} py-0.5`} onClick={undoDelete}>
            Undo
          </button>
        </p>
      )}
      {results.length === 0 ? (
        <p className="text-xs text-zinc-400">{filtered ? 'No saved image matches.' : 'Results are saved here and survive restarts.'}</p>
      ) : (
        <ul className="grid grid-cols-[repeat(auto-fill,minmax(132px,1fr))] gap-3">
          {results.map((result) => {
            // The seed tells apart the images of a batch, which share their prompt.
            const name = `${truncate(result.request.prompt, 60)} (seed ${result.request.seed})`;
            const isChecked = checked.includes(result.id);
            return (
              <li
                key={result.id}
                data-testid="history-item"
                data-result-id={result.id}
                className={`group relative overflow-hidden rounded-md border bg-zinc-900/60 transition ${
                  result.id === selectedId ? 'border-indigo-400/70 ring-1 ring-indigo-400/40' : 'border-zinc-800 hover:border-zinc-600'
                }`}
              >
                <button
                  type="button"
                  className="block aspect-square w-full bg-zinc-950"
                  onClick={() => select(result.id)}
                  aria-current={result.id === selectedId ? 'true' : undefined}
                  aria-label={`Open: ${name}`}
                >
                  {/* eslint-disable-next-line @next/next/no-img-element -- stored thumbnails, already small. */}
                  <img src={thumbnailUrl(result.id)} alt="" loading="lazy" width={192} height={192} className="h-full w-full object-cover" />
                </button>
                <label className="absolute left-1 top-1 grid h-6 w-6 place-items-center rounded bg-zinc-950/80">
                  <input
                    type="checkbox"
                    className="h-3.5 w-3.5 accent-indigo-500"
                    checked={isChecked}
                    onChange={() => toggleChecked(result.id)}
                    aria-label={`Select for deleting: ${name}`}
                  />
                </label>
                <button
                  type="button"
                  className={`absolute right-1 top-1 grid h-6 w-6 place-items-center rounded bg-zinc-950/80 ${result.favourite ? 'text-amber-300' : 'text-zinc-300'}`}
                  onClick={() => void toggleFavourite(result.id)}
                  aria-pressed={Boolean(result.favourite)}
                  aria-label={`Favourite: ${name}`}
                >
                  <StarIcon filled={result.favourite} />
                </button>
                <div className="space-y-1 px-2 py-1.5">
                  <p className="truncate text-[11px] text-zinc-300" title={result.request.prompt}>
                    {result.request.prompt}
                  </p>
                  <div className="flex items-center justify-between gap-1">
                    <span className="truncate font-mono text-[10px] text-zinc-400">
                      {result.request.width}×{result.request.height} · {result.request.steps} st
                    </span>
                    <button
                      type="button"
                      className={`${buttonClass.ghost} px-1 py-0.5 text-[10px]`}
                      onClick={() => reuse(result)}
                      title="Restore these settings in the form"
                      aria-label={`Restore settings of: ${name}`}
                    >
                      <ReuseIcon /> Restore
                    </button>
                  </div>
                </div>
              </li>
            );
          })}
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
