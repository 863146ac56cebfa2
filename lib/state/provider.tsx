'use client';
// Creates one studio store per mounted provider and exposes it through narrow selector hooks.
// Deliberately no global store: each provider (and each test) gets its own state.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { createStudioStore, type StudioInit, type StudioState, type StudioStore } from './studio-store.ts';

const StudioContext = createContext<StudioStore | null>(null);

export function StudioProvider({ init, children }: { init: StudioInit; children: ReactNode }) {
  const [store] = useState(() => createStudioStore(init));
  useEffect(() => () => store.dispose(), [store]);
  return <StudioContext.Provider value={store}>{children}</StudioContext.Provider>;
}

/** Subscribe to one slice of state; components re-render only when what they select changes. */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  const store = useContext(StudioContext);
  if (!store) throw new Error('useStudio must be used inside <StudioProvider>.');
  return useStore(store, selector);
}
