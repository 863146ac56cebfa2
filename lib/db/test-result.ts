// Test support: the smallest complete result a store accepts (tiny model, CPU, no timings), and the same as a stored
// record. Tests that care about a field pass it; the rest is the same everywhere. Deliberately not used by the code
// under test.
import type { ResultRecord } from '../results.ts';
import type { NewResult } from './results-store.ts';

/** The fields every test result shares: tiny model, no components or timings, one token, CPU memory. */
function tinyFields(): Omit<ResultRecord, 'id' | 'createdAt' | 'request'> {
  return {
    model: { id: 'tiny', name: 'tiny', tiny: true },
    components: [],
    timings: {},
    tokens: { count: 1, truncated: false },
    durationMs: 1,
    queuedMs: 0,
    memory: { kind: 'cpu' },
  };
}

export function tinyResult(request: NewResult['request'], png: Uint8Array, thumbnail: Uint8Array = png): NewResult {
  return { png, thumbnail, request, ...tinyFields() };
}

/** A stored record (id 'AAA…', created at the epoch) with `overrides` over the tiny fields. */
export function tinyRecord(request: ResultRecord['request'], overrides: Partial<ResultRecord> = {}): ResultRecord {
  return { id: 'A'.repeat(22), createdAt: new Date(0).toISOString(), request, ...tinyFields(), ...overrides };
}
