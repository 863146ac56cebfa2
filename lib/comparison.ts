// The BF16 vs FP16 view's data: which precisions a comparison sets side by side, what happens to each (the result
// itself, a new job through the normal queue, or "cannot run here" with the machine's reason), the stored record
// behind the /c/<id> share link, and the view the page and GET /api/comparisons/:id show. Pure functions, shared by
// server and browser. Deliberately never substitutes a precision: one that cannot run stays a column that says why.
import { PRECISIONS, type ExecutionProvider, type GenerateRequest, type Precision, type ProgressEvent } from '../inference/pipeline/types.ts';
import type { ApiErrorBody } from './errors.ts';
import type { PrecisionOption } from './precision.ts';
import type { ResultRecord } from './results.ts';
import type { StudioJob } from './system.ts';

/** 128 random bits, base64url, like result ids: a comparison's link cannot be guessed or enumerated. */
export const COMPARISON_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isComparisonId(value: string): boolean {
  return COMPARISON_ID_PATTERN.test(value);
}

export function comparisonUrl(id: string): string {
  return `/c/${id}`;
}

/** What "Compare" sets beside a result when not told otherwise: the precision Z-Image was trained in, and the naive one. */
export const DEFAULT_COMPARED: readonly Precision[] = ['bf16', 'fp16'];

/** One column as stored: a finished result, a job still owed a result, or the reason there is none. */
export type StoredColumn =
  | { precision: Precision; state: 'result'; resultId: string }
  | { precision: Precision; state: 'job'; jobId: string }
  | { precision: Precision; state: 'failed'; error: ApiErrorBody }
  | { precision: Precision; state: 'unavailable'; reason: string };

/** The settings every column shares: the source result's request without its precision and execution provider. */
export type SharedSettings = Omit<GenerateRequest, 'latents' | 'precision' | 'ep' | 'image'>;

export interface ComparisonRecord {
  id: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The result "Compare" was pressed on. */
  sourceId: string;
  model: { id: string; name: string; tiny: boolean };
  settings: SharedSettings;
  /** Where the new jobs run (the source keeps its own EP, shown on its column). */
  ep: ExecutionProvider;
  columns: StoredColumn[];
}

export type ColumnView =
  | { precision: Precision; state: 'result'; result: ResultRecord; source: boolean }
  | { precision: Precision; state: 'pending'; status: 'queued' | 'running'; position: number | null; progress?: ProgressEvent }
  | { precision: Precision; state: 'failed'; error: ApiErrorBody }
  | { precision: Precision; state: 'unavailable'; reason: string };

/** What the page and the public route show: records resolved, job ids left out (they are not capabilities). */
export interface ComparisonView {
  id: string;
  createdAt: string;
  sourceId: string;
  model: ComparisonRecord['model'];
  settings: SharedSettings;
  ep: ExecutionProvider;
  columns: ColumnView[];
  /** True once no column waits for a job. */
  settled: boolean;
}

/** The asked precisions (BF16 and FP16 by default) plus the source's own, in the studio's order. */
export function comparedPrecisions(source: Precision, asked: readonly Precision[] = DEFAULT_COMPARED): Precision[] {
  const wanted = new Set<Precision>([...asked, source]);
  return PRECISIONS.filter((precision) => wanted.has(precision));
}

export type ColumnPlan =
  | { precision: Precision; action: 'reuse' }
  | { precision: Precision; action: 'submit' }
  | { precision: Precision; action: 'unavailable'; reason: string };

/**
 * What each precision of a comparison does: the source's own precision reuses the result (same prompt, seed and
 * settings already ran); one this machine and model can run becomes a job; any other keeps the machine's reason.
 * `options` undefined: the model is gone from the weights folder, so nothing new can run.
 */
export function planComparison(
  sourcePrecision: Precision,
  precisions: readonly Precision[],
  options: readonly PrecisionOption[] | undefined,
  modelGone = 'The model of this result is no longer in the weights folder.',
): ColumnPlan[] {
  return precisions.map((precision): ColumnPlan => {
    if (precision === sourcePrecision) return { precision, action: 'reuse' };
    if (!options) return { precision, action: 'unavailable', reason: modelGone };
    const option = options.find((entry) => entry.precision === precision);
    if (option?.available) return { precision, action: 'submit' };
    return { precision, action: 'unavailable', reason: option?.reason ?? 'This machine cannot run it.' };
  });
}

export const RESULT_DELETED: ApiErrorBody = {
  code: 'result_deleted',
  message: 'This result was deleted from the history after the comparison was made.',
};

export const JOB_LOST: ApiErrorBody = {
  code: 'job_lost',
  message: 'The server no longer knows this job (it was cleaned up, or the server lost it). Start the comparison again from the result.',
};

const CANCELED: ApiErrorBody = { code: 'canceled', message: 'The job was canceled before it finished.' };

/**
 * One stored column as the page shows it, given its job (null: not a job column; undefined: the job is unknown)
 * and the history. `stored` is set when the column's state changed for good and should be saved.
 */
export function resolveColumn(
  column: StoredColumn,
  job: StudioJob | undefined | null,
  getResult: (id: string) => ResultRecord | undefined,
  sourceId: string,
): { view: ColumnView; stored?: StoredColumn } {
  const { precision } = column;
  switch (column.state) {
    case 'result': {
      const result = getResult(column.resultId);
      return result
        ? { view: { precision, state: 'result', result, source: result.id === sourceId } }
        : { view: { precision, state: 'failed', error: RESULT_DELETED } };
    }
    case 'failed':
      return { view: column };
    case 'unavailable':
      return { view: column };
    case 'job': {
      if (!job) {
        const stored: StoredColumn = { precision, state: 'failed', error: JOB_LOST };
        return { view: stored, stored };
      }
      if (job.status === 'queued' || job.status === 'running') {
        return { view: { precision, state: 'pending', status: job.status, position: job.position, progress: job.progress } };
      }
      if (job.status === 'succeeded' && job.output) {
        const result = getResult(job.output.id) ?? job.output;
        return {
          view: { precision, state: 'result', result, source: false },
          stored: { precision, state: 'result', resultId: result.id },
        };
      }
      const stored: StoredColumn = { precision, state: 'failed', error: job.status === 'canceled' ? CANCELED : (job.error ?? JOB_LOST) };
      return { view: stored, stored };
    }
  }
}

/** Columns that ran, in order: what the slider and the difference map can pair. */
export function resultColumns(view: Pick<ComparisonView, 'columns'>): Extract<ColumnView, { state: 'result' }>[] {
  return view.columns.filter((column): column is Extract<ColumnView, { state: 'result' }> => column.state === 'result');
}

/**
 * The sentence under a comparison that could not set two precisions side by side, e.g. on a CPU-only machine:
 * what ran, and that the others are explained on their columns. Undefined when two or more ran (or still may).
 */
export function loneColumnNote(view: Pick<ComparisonView, 'columns'>, labels: Record<Precision, string>): string | undefined {
  const ran = resultColumns(view);
  const pending = view.columns.some((column) => column.state === 'pending');
  if (pending || ran.length >= 2) return undefined;
  const missing = view.columns.filter((column) => column.state !== 'result').map((column) => labels[column.precision]);
  if (ran.length === 0) return `None of ${missing.join(', ')} produced an image here, so there is nothing to set side by side.`;
  return (
    `Only ${labels[ran[0].precision]} ran, so there is no second image to set beside it: ` +
    `${missing.join(' and ')} did not run (the reasons are on their columns). ` +
    'The slider and the difference map appear when two precisions have run, e.g. on a CUDA GPU with bf16 support.'
  );
}
