// The BF16 vs FP16 view on the server: POST /api/comparisons starts one from a saved result (its own precision is
// reused; every other precision this machine and model can run becomes a normal job in the queue, with the very same
// request; the rest keep the machine's reason), and the page and GET /api/comparisons/:id resolve its columns — a
// job that ended becomes its result id (or its error) in the stored record. Deliberately no HTTP (routes own it) and
// no engine call of its own: jobs run through the queue exactly like POST /api/generate's. The work takes its
// collaborators as arguments (tests pass an in-process queue and a temp store); the two exports at the end wire the
// studio's own.
import type { ComparisonBody } from '../api/evidence-schemas.ts';
import type { ResultsStore } from '../db/results-store.ts';
import type { Catalogue } from '../engine/index.ts';
import type { JobQueue } from '../queue/types.ts';
import type { ResultRecord } from '../results.ts';
import type { JobInput, StudioJob } from '../system.ts';
import {
  comparedPrecisions,
  planComparison,
  resolveColumn,
  type ComparisonRecord,
  type ComparisonView,
  type StoredColumn,
} from '../comparison.ts';
import { ComparisonStore, newComparisonId } from '../db/comparison-store.ts';
import { StudioError } from '../errors.ts';
import { errorBody } from '../http.ts';
import { precisionOptions } from '../precision.ts';
import { findJob } from './job-journal.ts';
import { getStudio } from './studio.ts';

export interface ComparisonDeps {
  engine: Pick<Catalogue, 'models' | 'system' | 'ep'>;
  queue: Pick<JobQueue<JobInput, ResultRecord>, 'submit'>;
  results: Pick<ResultsStore, 'get'>;
  comparisons: ComparisonStore;
  /** The queue's live state first, then the jobs table (lib/server/job-journal.ts). */
  findJob: (id: string) => Promise<StudioJob | undefined>;
}

export async function startComparison(deps: ComparisonDeps, body: ComparisonBody, now = new Date()): Promise<ComparisonRecord> {
  const source = deps.results.get(body.resultId);
  if (!source) {
    throw new StudioError('result_not_found', `No result ${body.resultId}. It was deleted, or the id is mistyped.`);
  }
  const [models, system, ep] = await Promise.all([deps.engine.models(), deps.engine.system(), deps.engine.ep()]);
  const model = models.find((entry) => entry.id === source.model.id);
  const { precision: sourcePrecision, ep: _sourceEp, ...settings } = source.request;
  const plan = planComparison(
    sourcePrecision,
    comparedPrecisions(sourcePrecision, body.precisions),
    model && precisionOptions(system.precisions, model),
    `${source.model.name} is no longer in the weights folder, so no other precision of it can run.`,
  );

  const columns: StoredColumn[] = [];
  const refusals: unknown[] = [];
  for (const step of plan) {
    if (step.action === 'reuse') columns.push({ precision: step.precision, state: 'result', resultId: source.id });
    else if (step.action === 'unavailable') columns.push({ precision: step.precision, state: 'unavailable', reason: step.reason });
    else {
      try {
        // The source's request as it ran (seed resolved, every engine setting kept); only the precision changes.
        const job = await deps.queue.submit({ modelId: model!.id, request: { ...settings, precision: step.precision, ep } });
        columns.push({ precision: step.precision, state: 'job', jobId: job.id });
      } catch (error) {
        refusals.push(error);
        columns.push({ precision: step.precision, state: 'failed', error: errorBody(error).body });
      }
    }
  }
  // Nothing could be queued (queue full, Redis down): answer with that error rather than a page of failed columns.
  if (refusals.length > 0 && !columns.some((column) => column.state === 'job')) throw refusals[0];

  const record: ComparisonRecord = {
    id: newComparisonId(),
    createdAt: now.toISOString(),
    sourceId: source.id,
    model: source.model,
    settings,
    ep,
    columns,
  };
  return deps.comparisons.save(record);
}

/** The comparison with its columns resolved; a column whose job ended is saved with its result id (or error). */
export async function viewComparison(deps: ComparisonDeps, id: string): Promise<ComparisonView | undefined> {
  const record = deps.comparisons.get(id);
  if (!record) return undefined;
  const resolved = await Promise.all(
    record.columns.map(async (column) =>
      resolveColumn(column, column.state === 'job' ? await deps.findJob(column.jobId) : null, (resultId) => deps.results.get(resultId), record.sourceId),
    ),
  );
  if (resolved.some((entry) => entry.stored)) {
    await deps.comparisons.save({ ...record, columns: resolved.map((entry, index) => entry.stored ?? record.columns[index]) });
  }
  const columns = resolved.map((entry) => entry.view);
  return {
    id: record.id,
    createdAt: record.createdAt,
    sourceId: record.sourceId,
    model: record.model,
    settings: record.settings,
    ep: record.ep,
    columns,
    settled: !columns.some((column) => column.state === 'pending'),
  };
}

const STORE = Symbol.for('zimage-studio.comparisons');

/** The studio's collaborators; the comparisons store is one per process, beside the history. */
function studioDeps(): ComparisonDeps {
  const studio = getStudio();
  const holder = globalThis as typeof globalThis & { [STORE]?: ComparisonStore };
  holder[STORE] ??= ComparisonStore.open(studio.env.DATA_DIR);
  return { engine: studio.engine, queue: studio.queue, results: studio.store, comparisons: holder[STORE], findJob: (id) => findJob(studio, id) };
}

export async function createComparison(body: ComparisonBody): Promise<ComparisonView> {
  const deps = studioDeps();
  const record = await startComparison(deps, body);
  return (await viewComparison(deps, record.id))!;
}

export function comparisonView(id: string): Promise<ComparisonView | undefined> {
  return viewComparison(studioDeps(), id);
}
