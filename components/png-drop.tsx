'use client';
// Drop a PNG anywhere on the studio to load its settings into the form: our own metadata chunk (exact), else A1111's
// `parameters` text (lib/png-settings.ts). While a file is dragged over the page an overlay says what will happen;
// after the drop a status line says what was loaded, or why nothing was. Deliberately reads the file in the
// browser: nothing is uploaded.
import { useEffect, useState } from 'react';
import { settingsFromPng } from '@/lib/png-settings.ts';
import { useStudio } from '@/lib/state/provider.tsx';

type Outcome = { ok: boolean; text: string } | null;

export function PngDrop() {
  const loadSettings = useStudio((state) => state.loadSettings);
  const [dragging, setDragging] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  useEffect(() => {
    let depth = 0;
    const hasFiles = (event: DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
    const enter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const leave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (event: DragEvent) => {
      if (hasFiles(event)) event.preventDefault();
    };
    const drop = async (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      try {
        const settings = await settingsFromPng(new Uint8Array(await file.arrayBuffer()));
        if (!settings) {
          setOutcome({ ok: false, text: `${file.name} has no generation settings in it (no studio or A1111 metadata).` });
          return;
        }
        loadSettings(settings);
        setOutcome({ ok: true, text: `Loaded the settings of ${file.name} (${settings.source === 'zimage-studio' ? 'studio metadata' : 'A1111 parameters'}).` });
      } catch (error) {
        setOutcome({ ok: false, text: `${file.name}: ${(error as Error).message}` });
      }
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [loadSettings]);

  return (
    <>
      {dragging && (
        <div className="pointer-events-none fixed inset-0 z-50 grid place-items-center bg-indigo-950/70 text-lg font-medium text-white" data-testid="drop-overlay">
          Drop a PNG to load its prompt and settings
        </div>
      )}
      <p role="status" data-testid="drop-status" className={outcome ? `fixed bottom-28 left-1/2 z-40 -translate-x-1/2 rounded-md border px-3 py-2 text-xs shadow-lg lg:bottom-6 ${outcome.ok ? 'border-emerald-500/40 bg-zinc-900 text-emerald-200' : 'border-amber-500/40 bg-zinc-900 text-amber-200'}` : 'sr-only'}>
        {outcome?.text}
        {outcome && (
          <button type="button" className="ml-2 text-zinc-300 underline" onClick={() => setOutcome(null)}>
            Dismiss
          </button>
        )}
      </p>
    </>
  );
}
