// GET /api/results?limit=&cursor=&q=&favourites=: saved results, newest first, paged with the nextCursor of the
// previous page; q keeps those whose prompt contains it, favourites=1 the starred ones (total counts the filtered).
import { resultsQuerySchema } from '@/lib/api/results-query.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json, readQuery } from '@/lib/http.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request) => {
  const query = readQuery(request, resultsQuerySchema);
  const { store } = getStudio();
  try {
    const filter = { query: query.q?.trim() || undefined, favourites: query.favourites === '1' };
    return json({ ...store.list({ ...query, ...filter }), total: store.count(filter) });
  } catch (error) {
    if (!(error as Error).message.startsWith('Invalid cursor')) throw error;
    throw new StudioError('invalid_cursor', (error as Error).message);
  }
});
