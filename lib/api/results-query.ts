// Query-string schema for GET /api/results (paging). Deliberately separate from the body schemas: query values
// arrive as strings and are coerced here, once.
import { z } from 'zod';

export const resultsQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: 'limit must be a number from 1 to 100.' })
    .int('limit must be a whole number from 1 to 100.')
    .min(1, 'limit must be at least 1.')
    .max(100, 'limit must be at most 100; page with cursor instead.')
    .default(24),
  cursor: z.string().min(1, 'cursor must be the nextCursor of the previous page.').optional(),
});

export function searchParamsObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}
