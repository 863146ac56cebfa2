// GET /api/results?limit=&cursor=: saved results, newest first, paged with the nextCursor of the previous page.
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
    return json({ ...store.list(query), total: store.count() });
  } catch (error) {
    if (!(error as Error).message.startsWith('Invalid cursor')) throw error;
    throw new StudioError('invalid_cursor', (error as Error).message);
  }
});
