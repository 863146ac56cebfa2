// POST /api/jobs/:id/cancel: a waiting job ends at once; a running one stops at the engine's next step.
// The body is ignored on purpose, so `curl -X POST` without one works.
import { StudioError } from '@/lib/errors.ts';
import { handle, json } from '@/lib/http.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  const job = await getStudio().queue.cancel(id);
  if (!job) {
    throw new StudioError(404, 'job_not_found', `Job ${id} is unknown: it ended long ago or the server restarted. Nothing to cancel.`);
  }
  return json({ job });
});
