// GET /api/comparisons/:id: a comparison with its columns resolved (results, jobs still running with their progress,
// or the reason a precision did not run). Public like the /c/<id> page: the 128-bit id is the capability.
import { isComparisonId } from '@/lib/comparison.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json } from '@/lib/http.ts';
import { comparisonView } from '@/lib/server/comparisons.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  if (!isComparisonId(id)) {
    throw new StudioError('invalid_id', 'That is not a comparison id: ids are 22 characters of A–Z, a–z, 0–9, "_" and "-". Check the link.');
  }
  const comparison = await comparisonView(id);
  if (!comparison) throw new StudioError('comparison_not_found', `No comparison ${id}. Check the link.`);
  return json({ comparison });
});
