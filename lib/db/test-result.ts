// Test support: the smallest complete result a store accepts (tiny model, CPU, no timings). Tests that care about a
// field pass it; the rest is the same everywhere. Deliberately not used by the code under test.
import type { NewResult } from './results-store.ts';

export function tinyResult(request: NewResult['request'], png: Uint8Array, thumbnail: Uint8Array = png): NewResult {
  return {
    png,
    thumbnail,
    request,
    model: { id: 'tiny', name: 'tiny', tiny: true },
    components: [],
    timings: {},
    tokens: { count: 1, truncated: false },
    durationMs: 1,
    queuedMs: 0,
    memory: { kind: 'cpu' },
  };
}
