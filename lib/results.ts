// The saved result as every layer sees it: the database row, the API's JSON, the gallery card and the share page.
// Deliberately plain JSON (no pixels, no tensors): images live as PNG files and are fetched by URL.
import type { ComponentRunInfo, GenerateRequest } from '../inference/pipeline/types.ts';

/** 128 random bits, base64url: share links cannot be guessed or enumerated. */
export const RESULT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isResultId(value: string): boolean {
  return RESULT_ID_PATTERN.test(value);
}

/**
 * Memory a run used. On the CPU there is no VRAM to report. On a GPU the integrity work fills the measured peak and
 * the card's total; until then the slot stays empty and the badge says "not measured" rather than guessing.
 */
export type MemoryUsage =
  | { kind: 'cpu' }
  | { kind: 'gpu'; peakMiB?: number; totalMiB?: number };

export interface ResultRecord {
  id: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The request exactly as the engine ran it (seed resolved, precision and EP chosen). */
  request: Omit<GenerateRequest, 'latents'>;
  model: { id: string; name: string; tiny: boolean };
  /** Precision and EP each component actually ran in, as the engine reported them. */
  components: ComponentRunInfo[];
  /** Engine milliseconds per phase. */
  timings: Record<string, number>;
  tokens: { count: number; truncated: boolean };
  /** Wall time from the job starting to the PNG being ready. */
  durationMs: number;
  /** Time the job waited in the queue before it started. */
  queuedMs: number;
  memory: MemoryUsage;
}

export function imageUrl(id: string, options: { meta?: boolean; download?: boolean } = {}): string {
  const query = new URLSearchParams();
  if (options.meta === false) query.set('meta', '0');
  if (options.download) query.set('download', '1');
  const suffix = query.size > 0 ? `?${query}` : '';
  return `/api/results/${id}/image.png${suffix}`;
}

export function thumbnailUrl(id: string): string {
  return `/api/results/${id}/thumbnail.png`;
}

export function shareUrl(id: string): string {
  return `/r/${id}`;
}

/** "zimage-<seed>-<first 6 id chars>.png": sortable by seed, unique per result. */
export function downloadName(record: Pick<ResultRecord, 'id' | 'request'>, withMetadata: boolean): string {
  return `zimage-${record.request.seed}-${record.id.slice(0, 6)}${withMetadata ? '' : '-clean'}.png`;
}
