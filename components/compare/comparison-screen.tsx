'use client';
// The comparison screen: the shared settings and the share link, one column per precision (the image with its
// census badge, health line and numbers; a job still running with its progress; or why the precision did not run
// here), and — once two have run — the before/after slider with the difference map. Polls the public comparison
// route while jobs run, then stops. Deliberately holds no pixels in state: images load by URL, and the pair view
// decodes them into canvases of its own.
import { useEffect, useState } from 'react';
import { api } from '@/lib/client/api.ts';
import { loneColumnNote, resultColumns, type ComparisonView } from '@/lib/comparison.ts';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import { ShareIcon } from '@/components/ui/icons.tsx';
import { ShareHeader } from '@/components/share-header.tsx';
import { buttonClass, Callout } from '@/components/ui/primitives.tsx';
import { ColumnCard } from './column-card.tsx';
import { PairView } from './pair-view.tsx';

const POLL_MS = 1500;

export function ComparisonScreen({ initial, shareUrl }: { initial: ComparisonView; shareUrl: string }) {
  const [view, setView] = useState(initial);
  const [pollError, setPollError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (view.settled) return;
    const timer = setTimeout(() => {
      api.comparison(view.id).then(
        ({ comparison }) => {
          setPollError(null);
          setView(comparison);
        },
        (error: Error) => {
          setPollError(`${error.message} Retrying…`);
          setAttempt((count) => count + 1);
        },
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [view, attempt]);

  const { settings } = view;
  const ran = resultColumns(view);
  const note = loneColumnNote(view, PRECISION_LABELS);
  const labels = view.columns.map((column) => PRECISION_LABELS[column.precision]);

  return (
    <div className="min-h-screen">
      <ShareHeader fromId={view.sourceId} />
      <main className="mx-auto max-w-7xl space-y-6 p-4 lg:p-8" data-testid="comparison-page" data-settled={view.settled}>
        <section className="space-y-3">
          <div className="space-y-1">
            <h1 className="text-lg font-semibold text-zinc-100">{labels.join(' vs ')}</h1>
            <p className="text-xs text-zinc-400">
              The same prompt, seed and settings in each precision. Each precision is its own run, with its own census.
            </p>
          </div>
          <p className="whitespace-pre-wrap break-words text-sm leading-relaxed text-zinc-200" data-testid="comparison-prompt">
            {settings.prompt}
          </p>
          <p className="font-mono text-[11px] text-zinc-400">
            {view.model.name} · {settings.width}×{settings.height} · {settings.steps} steps · CFG {settings.cfg === 1 ? '1 (off)' : settings.cfg} · seed{' '}
            {settings.seed}
          </p>
          <ShareRow url={shareUrl} />
        </section>

        {note && (
          <Callout tone="info" title="Nothing to set side by side on this machine" testId="comparison-note">
            {note}
          </Callout>
        )}
        {pollError && <p className="text-xs text-rose-300">{pollError}</p>}

        <ul
          className="grid items-start gap-4 [grid-template-columns:repeat(auto-fit,minmax(min(100%,280px),1fr))]"
          aria-label="Precisions"
        >
          {view.columns.map((column) => (
            <ColumnCard key={column.precision} column={column} width={settings.width} height={settings.height} />
          ))}
        </ul>

        {ran.length >= 2 && <PairView columns={ran} width={settings.width} height={settings.height} />}
      </main>
    </div>
  );
}

function ShareRow({ url }: { url: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // Clipboard access can be refused (permissions, insecure origin); the link stays visible to copy by hand.
      setCopied(false);
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs">
      <button type="button" className={buttonClass.secondary} onClick={() => void copy()}>
        <ShareIcon /> Copy link
      </button>
      <a className="min-w-0 break-all font-mono text-indigo-300 underline underline-offset-2" href={url} data-testid="comparison-share-link">
        {url}
      </a>
      {copied !== null && (
        <span role="status" className="text-zinc-400">
          {copied ? 'Copied.' : 'Copy it by hand: the browser refused the clipboard.'}
        </span>
      )}
    </div>
  );
}
