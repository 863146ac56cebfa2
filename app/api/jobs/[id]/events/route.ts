// GET /api/jobs/:id/events: Server-Sent Events for one job (snapshot, position, per-step progress, end).
import { handle } from '@/lib/http.ts';
import { jobEventStream } from '@/lib/server/sse.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  return jobEventStream(getStudio().queue, id, request.signal);
});
