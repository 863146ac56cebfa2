// Joins the job queue to the jobs table: every queued/started/ended event is written, through the JobQueue interface
// only, so any back end (in-memory, Redis) gets the same record; and at start, when the queue is the in-process one,
// jobs a previous process left unfinished are marked failed (interrupted), since nothing will ever run them. Also
// the one lookup the job routes use: the queue first (live state), then the table (jobs the queue forgot or a
// previous process ran).
import type { StudioJob } from '../system.ts';
import type { Studio } from './studio.ts';

/** Call once per process. Returns the studio at once; the interrupted jobs are marked a moment later. */
export function journalJobs(studio: Studio): Studio {
  const { queue, store } = studio;
  const startedAt = Date.now();
  // A durable queue (Redis) resumes its jobs after a restart; only the in-process queue loses them. Jobs created by
  // this process are never touched, however late the answer comes.
  void queue
    .health()
    .then((health) => {
      if (health.backend !== 'memory') return;
      const interrupted = store.jobs.failInterrupted(startedAt);
      if (interrupted > 0) {
        console.warn(`[studio] ${interrupted} job(s) were waiting or running when the server last stopped; marked failed (interrupted).`);
      }
    })
    .catch((error: unknown) => console.error('[studio] could not mark interrupted jobs:', error));
  queue.subscribe((event) => {
    try {
      store.jobs.record(event);
    } catch (error) {
      // A full disk must not stop generations; the job just lacks its record after a restart.
      console.error(`[studio] could not record job ${event.job.id} (${event.type}):`, error);
    }
  });
  return studio;
}

export async function findJob(studio: Studio, id: string): Promise<StudioJob | undefined> {
  return (await studio.queue.get(id)) ?? studio.store.jobs.get(id);
}
