// POST /api/jobs/:id/cancel: a waiting job ends at once; a running one stops at the engine's next step.
// The body is ignored on purpose, so `curl -X POST` without one works.
import { StudioError } from '@/lib/errors.ts';
import { handle, json, pathId } from '@/lib/http.ts';
import { findJob } from '@/lib/server/job-journal.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('job', (await context.params).id);
  const studio = getStudio();
  // A job the queue no longer holds has ended; canceling it changes nothing, as for an ended job in the queue.
  const job = (await studio.queue.cancel(id)) ?? (await findJob(studio, id));
  if (!job) {
    throw new StudioError('job_not_found', `Job ${id} is unknown: it was never submitted here, or it ended more than a week ago. Nothing to cancel.`);
  }
  return json({ job });
});
