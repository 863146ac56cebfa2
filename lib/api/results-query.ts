// Query-string schemas of the results routes: paging for GET /api/results, and the image options of
// GET /api/results/:id/image.png, both read strictly (lib/http.ts readQuery). Deliberately separate from the body
// schemas: query values arrive as strings and are coerced here, once.
import { z } from '../zod.ts';

export const resultsQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: 'limit must be a number from 1 to 100.' })
    .int('limit must be a whole number from 1 to 100.')
    .min(1, 'limit must be at least 1.')
    .max(100, 'limit must be at most 100; page with cursor instead.')
    .default(24),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, 'cursor must be the nextCursor of the previous page, unchanged.')
    .optional(),
  /** Only results whose prompt contains this text (case-insensitive for Latin letters). */
  q: z.string().max(200, 'q (the prompt search) must be at most 200 characters.').optional(),
  favourites: z.enum(['0', '1'], { error: 'favourites must be 1 (only starred results) or 0.' }).optional(),
});

export const favouriteBodySchema = z.strictObject({
  favourite: z.boolean({ error: 'favourite must be true (star it) or false (unstar it).' }),
});

const flag = (name: string, meaning: string) =>
  z.enum(['0', '1'], { error: `${name} must be 1 (${meaning}) or 0.` }).optional();

export const imageQuerySchema = z.strictObject({
  meta: flag('meta', 'keep the PNG metadata; 0 strips it'),
  download: flag('download', 'send as an attachment'),
});
