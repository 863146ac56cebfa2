// POST /api/generate: validates the studio's parameters, resolves model/precision/EP, and queues the job.
// Answers 202 at once with the job id and queue position; progress comes from GET /api/jobs/:id/events.
import { handle, json, readJson } from '@/lib/http.ts';
import { generationParamsSchema } from '@/lib/params.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const HINT = 'Fields: prompt, negativePrompt, steps, cfg (1 = off), width, height (multiples of 16, 256–2048), seed, precision, model.';

export const POST = handle(async (request: Request) => {
  const params = await readJson(request, generationParamsSchema, HINT);
  const { engine, queue } = getStudio();
  const job = await queue.submit(await engine.resolve(params));
  return json(
    { id: job.id, status: job.status, position: job.position, events: `/api/jobs/${job.id}/events`, job },
    { status: 202, headers: { Location: `/api/jobs/${job.id}` } },
  );
});
