// GET /api/jobs/:id: the job's current snapshot (status, position, progress, and the result once it succeeded).
import { StudioError } from '@/lib/errors.ts';
import { handle, json } from '@/lib/http.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  const job = await getStudio().queue.get(id);
  if (!job) {
    throw new StudioError(
      404,
      'job_not_found',
      `Job ${id} is unknown: jobs live in memory and are forgotten on restart. Saved results stay in GET /api/results.`,
    );
  }
  return json({ job });
});
