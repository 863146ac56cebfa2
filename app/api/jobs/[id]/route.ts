// GET /api/jobs/:id: the job's current snapshot (status, position, progress, and the result once it succeeded),
// from the queue while it is live, else from the jobs table (also after a restart: interrupted jobs read as failed).
import { StudioError } from '@/lib/errors.ts';
import { handle, json, pathId } from '@/lib/http.ts';
import { findJob } from '@/lib/server/job-journal.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('job', (await context.params).id);
  const job = await findJob(getStudio(), id);
  if (!job) {
    throw new StudioError(
      'job_not_found',
      `Job ${id} is unknown: it was never submitted here, or it ended more than a week ago. Saved results stay in GET /api/results.`,
    );
  }
  return json({ job });
});
