'use client';
// The studio screen: controls on the left, runs + viewer + history on the right (stacked on narrow screens).
// Deliberately only layout; each panel subscribes to its own slice of the store.
import { useEffect } from 'react';
import type { StudioInit } from '@/lib/state/studio-store.ts';
import { StudioProvider, useStudio } from '@/lib/state/provider.tsx';
import { ControlsPanel } from './controls/controls-panel.tsx';
import { HeaderBar } from './header-bar.tsx';
import { PngDrop } from './png-drop.tsx';
import { HistoryGrid } from './results/history-grid.tsx';
import { ResultViewer } from './results/result-viewer.tsx';
import { RunsPanel } from './results/runs-panel.tsx';
import { Callout } from './ui/primitives.tsx';

export function StudioApp({ init }: { init: StudioInit }) {
  // A mark that the page is interactive: typing into the server-rendered form before hydration is lost when React
  // takes it over (the end-to-end tests wait for it; nothing else reads it).
  useEffect(() => {
    document.documentElement.dataset.studioReady = 'true';
  }, []);
  return (
    <StudioProvider init={init}>
      <div className="flex min-h-screen flex-col lg:h-screen">
        <HeaderBar />
        <PngDrop />
        <div className="flex-1 lg:grid lg:min-h-0 lg:grid-cols-[380px_minmax(0,1fr)]">
          <aside className="border-zinc-800 bg-zinc-950 lg:min-h-0 lg:scroll-pb-28 lg:overflow-y-auto lg:border-r" aria-label="Controls">
            <ControlsPanel />
          </aside>
          <main className="space-y-6 p-4 pb-44 lg:min-h-0 lg:overflow-y-auto lg:p-6">
            <SystemError />
            <RunsPanel />
            <ResultViewer />
            <HistoryGrid />
          </main>
        </div>
      </div>
    </StudioProvider>
  );
}

function SystemError() {
  const error = useStudio((state) => state.systemError);
  if (!error) return null;
  return (
    <Callout tone="error" title="The engine is not available">
      {error.message}
      {error.hint && <span className="block text-zinc-300">{error.hint}</span>}
    </Callout>
  );
}
