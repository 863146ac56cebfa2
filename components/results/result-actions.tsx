'use client';
// Actions on one result: download with metadata (the engine's PNG as is), download without (pixels re-encoded,
// no text chunks), reuse settings, share (copies the /r/<id> link and shows it), compare precisions (the BF16 vs
// FP16 view, /c/<id>), vary (subtle/strong: image to image of it, new seed), upscale (×1.5 and refine), delete.
import { useEffect, useRef, useState } from 'react';
import { downloadName, imageUrl, shareUrl, type ResultRecord } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { CompareIcon, DownloadIcon, EraserIcon, ReuseIcon, ShareIcon, TrashIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';
import { CompareLauncher } from './compare-launcher.tsx';

export function ResultActions({ record }: { record: ResultRecord }) {
  const reuse = useStudio((state) => state.reuse);
  const vary = useStudio((state) => state.vary);
  const upscale = useStudio((state) => state.upscale);
  const remove = useStudio((state) => state.remove);
  const [shared, setShared] = useState<{ url: string; copied: boolean } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [comparing, setComparing] = useState(false);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // The prompt takes the focus when it opens; closing it (Keep, Escape) gives the focus back to the trash button.
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirmDelete) confirmButton.current?.focus();
    else if (wasConfirming.current) deleteButton.current?.focus();
    wasConfirming.current = confirmDelete;
  }, [confirmDelete]);

  const share = async () => {
    const url = new URL(shareUrl(record.id), window.location.origin).toString();
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      // Clipboard access can be refused (permissions, insecure origin); the link is shown for manual copying.
    }
    setShared({ url, copied });
  };

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-1.5" role="group" aria-label="Result actions">
        <a className={buttonClass.secondary} href={imageUrl(record.id, { download: true })} download={downloadName(record, true)}>
          <DownloadIcon /> Download PNG
        </a>
        <a
          className={buttonClass.secondary}
          href={imageUrl(record.id, { meta: false, download: true })}
          download={downloadName(record, false)}
          title="The same pixels, without the prompt and settings stored in the PNG"
        >
          <EraserIcon /> Without metadata
        </a>
        <button type="button" className={buttonClass.secondary} onClick={() => reuse(record)}>
          <ReuseIcon /> Reuse settings
        </button>
        <button type="button" className={buttonClass.secondary} onClick={() => void vary(record, 'subtle')} title="Image to image of this result at strength 0.35, new seed">
          Vary (subtle)
        </button>
        <button type="button" className={buttonClass.secondary} onClick={() => void vary(record, 'strong')} title="Image to image of this result at strength 0.7, new seed">
          Vary (strong)
        </button>
        <button type="button" className={buttonClass.secondary} onClick={() => void upscale(record)} title="Enlarged ×1.5 in pixels (Lanczos), then refined at strength 0.35">
          Upscale ×1.5
        </button>
        <button type="button" className={buttonClass.secondary} onClick={() => void share()}>
          <ShareIcon /> Share
        </button>
        <button
          type="button"
          className={buttonClass.secondary}
          aria-expanded={comparing}
          aria-controls={`compare-${record.id}`}
          onClick={() => setComparing((open) => !open)}
          title="The same prompt, seed and settings in BF16 and FP16 (and more), side by side"
        >
          <CompareIcon /> Compare
        </button>
        {confirmDelete ? (
          <span
            className="inline-flex items-center gap-1"
            role="group"
            aria-label="Delete this image from the history?"
            onKeyDown={(event) => {
              if (event.key !== 'Escape') return;
              event.preventDefault();
              setConfirmDelete(false);
            }}
          >
            <button ref={confirmButton} type="button" className={`${buttonClass.secondary} border-rose-500/50 text-rose-200`} onClick={() => void remove(record.id)}>
              Delete for good
            </button>
            <button type="button" className={buttonClass.ghost} onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button ref={deleteButton} type="button" className={buttonClass.ghost} onClick={() => setConfirmDelete(true)} aria-label="Delete from history">
            <TrashIcon />
          </button>
        )}
      </div>
      {comparing && (
        <div id={`compare-${record.id}`}>
          <CompareLauncher key={record.id} record={record} onClose={() => setComparing(false)} />
        </div>
      )}
      {shared && (
        <p className="text-xs text-zinc-400" role="status" data-testid="share-status">
          {shared.copied ? 'Link copied: ' : 'Copy this link: '}
          <a className="break-all font-mono text-indigo-300 underline underline-offset-2" href={shared.url} data-testid="share-link">
            {shared.url}
          </a>
        </p>
      )}
    </div>
  );
}
