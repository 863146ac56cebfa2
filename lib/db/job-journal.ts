// The jobs table: each job's last known state, written when it is queued, starts and ends, so a job outlives the
// process that ran it. On start, jobs a previous process left queued or running are marked failed with the reason,
// and GET /api/jobs/:id answers from here once the queue has forgotten a job. Deliberately records no progress or
// position events (frequent and worthless after a restart) and knows nothing of the queue back end: it is fed
// JobEvents, whichever JobQueue emits them.
import type Database from 'better-sqlite3';
import type { ApiErrorBody } from '../errors.ts';
import type { JobEvent, JobStatus } from '../queue/types.ts';
import type { ResultRecord } from '../results.ts';
import type { JobInput, StudioJob } from '../system.ts';

/** Ended jobs are kept this long for GET /api/jobs/:id, then pruned. */
const RETAIN_MS = 7 * 24 * 3600 * 1000;
const PRUNE_EVERY = 256;

export const INTERRUPTED: ApiErrorBody = {
  code: 'interrupted',
  message: 'The server stopped (a crash, kill or restart) while this job was waiting or running, so it never finished. Submit it again.',
};

interface Row {
  id: string;
  status: JobStatus;
  version: number;
  input: string;
  result_id: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
}

export class JobJournal {
  private readonly db: Database.Database;
  private writes = 0;

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** Upserts the job's snapshot unless the row already holds a newer version. */
  record(event: JobEvent<JobInput, ResultRecord>): void {
    if (event.type === 'progress' || event.type === 'position') return;
    const { job } = event;
    this.db
      .prepare(
        `INSERT INTO jobs (id, status, version, input, result_id, error, created_at, started_at, finished_at)
         VALUES (@id, @status, @version, @input, @result_id, @error, @created_at, @started_at, @finished_at)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version,
           result_id = excluded.result_id, error = excluded.error, started_at = excluded.started_at,
           finished_at = excluded.finished_at
         WHERE excluded.version > jobs.version`,
      )
      .run({
        id: job.id,
        status: job.status,
        version: job.version,
        input: JSON.stringify(job.input),
        result_id: job.output?.id ?? null,
        error: job.error ? JSON.stringify(job.error) : null,
        created_at: job.createdAt,
        started_at: job.startedAt ?? null,
        finished_at: job.finishedAt ?? null,
      });
    if (++this.writes % PRUNE_EVERY === 0) this.prune();
  }

  get(id: string): StudioJob | undefined {
    const row = this.db
      .prepare('SELECT jobs.*, results.record AS result FROM jobs LEFT JOIN results ON results.id = jobs.result_id WHERE jobs.id = ?')
      .get(id) as Row | undefined;
    if (!row) return undefined;
    const job: StudioJob = {
      id: row.id,
      status: row.status,
      version: row.version,
      input: JSON.parse(row.input) as JobInput,
      createdAt: row.created_at,
      position: null,
    };
    if (row.started_at !== null) job.startedAt = row.started_at;
    if (row.finished_at !== null) job.finishedAt = row.finished_at;
    if (row.result) job.output = JSON.parse(row.result) as ResultRecord;
    if (row.error) job.error = JSON.parse(row.error) as ApiErrorBody;
    return job;
  }

  /**
   * Marks jobs created before `before` (this process's start) and left queued or running as failed (interrupted),
   * and returns how many: with the in-process queue, the jobs of a process that died can never end otherwise. The
   * version is kept, so a queue that does resume such a job overwrites this with its next event.
   */
  failInterrupted(before: number, now = Date.now()): number {
    return this.db
      .prepare(`UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE finished_at IS NULL AND created_at < ?`)
      .run(JSON.stringify(INTERRUPTED), now, before).changes;
  }

  prune(now = Date.now()): number {
    return this.db.prepare('DELETE FROM jobs WHERE finished_at < ?').run(now - RETAIN_MS).changes;
  }
}
