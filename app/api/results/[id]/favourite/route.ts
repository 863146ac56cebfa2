// POST /api/results/:id/favourite {"favourite": true|false}: stars or unstars a saved result in the history.
import { favouriteBodySchema } from '@/lib/api/results-query.ts';
import { handle, json, pathId, readJson } from '@/lib/http.ts';
import { resultNotFound } from '@/lib/server/images.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('result', (await context.params).id);
  const { favourite } = await readJson(request, favouriteBodySchema, 'Send {"favourite": true} or {"favourite": false}.');
  if (!getStudio().store.setFavourite(id, favourite)) throw resultNotFound(id);
  return json({ id, favourite });
});
