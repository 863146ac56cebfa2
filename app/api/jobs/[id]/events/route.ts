// GET /api/jobs/:id/events: Server-Sent Events for one job (snapshot, position, per-step progress, end). A job the
// queue no longer holds (ended long ago, or interrupted by a restart) gets its recorded snapshot and the end.
import { handle, pathId } from '@/lib/http.ts';
import { admitEventStream, jobEventStream } from '@/lib/server/sse.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('job', (await context.params).id);
  const { queue, store } = getStudio();
  const release = admitEventStream(request.headers);
  return jobEventStream(queue, id, request.signal, { lookup: (jobId) => store.jobs.get(jobId), onClose: release });
});
