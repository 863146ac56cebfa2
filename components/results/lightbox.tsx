'use client';
// The lightbox: one result over the page in a modal <dialog> (Escape closes it, focus returns to what opened it),
// fit-to-screen or actual size (Z or a click on the image), full screen (F), and ArrowLeft/ArrowRight through the
// results in history order. Deliberately loads only the image it shows.
import { useEffect, useRef, useState } from 'react';
import { imageUrl, type ResultRecord } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { CloseIcon } from '@/components/ui/icons.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';

export function Lightbox({ record, onClose }: { record: ResultRecord; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const results = useStudio((state) => state.results);
  const select = useStudio((state) => state.select);
  const [zoomed, setZoomed] = useState(false);
  const index = results.findIndex((result) => result.id === record.id);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const go = (delta: number) => {
    const next = results[index + delta];
    if (next) select(next.id);
  };
  const fullScreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void dialog.current?.requestFullscreen?.().catch(() => undefined);
  };

  return (
    <dialog
      ref={dialog}
      aria-label={`Image ${index + 1} of ${results.length}: ${record.request.prompt}`}
      data-testid="lightbox"
      className="m-0 h-full max-h-none w-full max-w-none bg-black/95 p-0 text-zinc-100 backdrop:bg-black/80"
      onClose={onClose}
      onKeyDown={(event) => {
        if (event.key === 'ArrowRight') go(1);
        else if (event.key === 'ArrowLeft') go(-1);
        else if (event.key === 'z' || event.key === 'Z') setZoomed((value) => !value);
        else if (event.key === 'f' || event.key === 'F') fullScreen();
        else return;
        event.preventDefault();
      }}
    >
      <div className="flex h-full flex-col">
        <div className="flex items-center gap-2 border-b border-zinc-800 px-3 py-2 text-xs">
          <span className="min-w-0 flex-1 truncate text-zinc-300" data-testid="lightbox-position">
            {index + 1} / {results.length} · {record.request.width}×{record.request.height} · seed {record.request.seed}
          </span>
          <button type="button" className={buttonClass.secondary} onClick={() => go(-1)} disabled={index <= 0}>
            Previous
          </button>
          <button type="button" className={buttonClass.secondary} onClick={() => go(1)} disabled={index < 0 || index >= results.length - 1}>
            Next
          </button>
          <button type="button" className={buttonClass.secondary} onClick={() => setZoomed((value) => !value)} aria-pressed={zoomed}>
            {zoomed ? 'Fit to screen' : 'Actual size'}
          </button>
          <button type="button" className={buttonClass.secondary} onClick={fullScreen}>
            Full screen
          </button>
          <button type="button" className={buttonClass.secondary} onClick={() => dialog.current?.close()} aria-label="Close the lightbox">
            <CloseIcon /> Close
          </button>
        </div>
        <div className={`min-h-0 flex-1 ${zoomed ? 'overflow-auto' : 'grid place-items-center overflow-hidden'} p-2`}>
          {/* eslint-disable-next-line @next/next/no-img-element -- the stored PNG as is. */}
          <img
            src={imageUrl(record.id)}
            alt={record.request.prompt}
            width={record.request.width}
            height={record.request.height}
            onClick={() => setZoomed((value) => !value)}
            className={zoomed ? 'max-w-none cursor-zoom-out' : 'max-h-full max-w-full cursor-zoom-in object-contain'}
          />
        </div>
      </div>
    </dialog>
  );
}
