// Human formatting of durations, progress and run phases for cards and the share page. Deliberately locale-neutral
// (no Intl date formats that differ between server render and browser, which would break hydration).
import type { ProgressEvent } from '../inference/pipeline/types.ts';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

export const PHASE_LABELS: Record<ProgressEvent['phase'], string> = {
  validate: 'Checking the request',
  tokenize: 'Tokenizing the prompt',
  encode: 'Encoding the prompt',
  noise: 'Preparing the noise',
  image: 'Encoding the source image (VAE)',
  denoise: 'Denoising',
  decode: 'Decoding the image (VAE)',
  png: 'Writing the PNG',
  hires: 'Hires fix: upscaling the first pass',
};

/** "Step 3/8 · 1.2 s elapsed · ETA 2.0 s", or the phase while not denoising. */
export function describeProgress(progress: ProgressEvent): string {
  const elapsed = `${formatDuration(progress.elapsedMs)} elapsed`;
  const eta = progress.etaMs !== undefined ? ` · ETA ${formatDuration(progress.etaMs)}` : '';
  if (progress.phase === 'denoise' && progress.step !== undefined && progress.totalSteps !== undefined) {
    return `Step ${progress.step}/${progress.totalSteps} · ${elapsed}${eta}`;
  }
  return `${PHASE_LABELS[progress.phase]} · ${elapsed}${eta}`;
}

/** "2025-01-31 14:05 UTC": the same text on the server and in every browser. */
export function formatTimestamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
