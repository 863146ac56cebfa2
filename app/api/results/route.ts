// GET /api/results?limit=&cursor=: saved results, newest first, paged with the nextCursor of the previous page.
import { resultsQuerySchema, searchParamsObject } from '@/lib/api/results-query.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json } from '@/lib/http.ts';
import { describeIssues } from '@/lib/issues.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request) => {
  const query = resultsQuerySchema.safeParse(searchParamsObject(new URL(request.url)));
  if (!query.success) {
    throw new StudioError(400, 'invalid_request', describeIssues(query.error.issues, ['limit', 'cursor']));
  }
  const { store } = getStudio();
  try {
    return json({ ...store.list(query.data), total: store.count() });
  } catch (error) {
    throw new StudioError(400, 'invalid_cursor', (error as Error).message);
  }
});
