// GET /api/results/:id: one saved result's record. DELETE removes it and its files from the history.
import { handle, json, pathId } from '@/lib/http.ts';
import { resultNotFound } from '@/lib/server/images.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('result', (await context.params).id);
  const record = getStudio().store.get(id);
  if (!record) throw resultNotFound(id);
  return json({ result: record });
});

export const DELETE = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const id = pathId('result', (await context.params).id);
  if (!(await getStudio().store.delete(id))) throw resultNotFound(id);
  return json({ deleted: id });
});
