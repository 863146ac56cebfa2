// POST /api/comparisons: `{resultId, precisions?}` → the BF16 vs FP16 view of a saved result. Its own precision is
// reused; each other precision this machine and model can run is queued as a normal job with the same request; the
// rest are listed with the reason. Answers 201 with the comparison and its share link /c/<id>.
import { comparisonBodySchema } from '@/lib/api/evidence-schemas.ts';
import { comparisonUrl } from '@/lib/comparison.ts';
import { handle, json, readJson } from '@/lib/http.ts';
import { createComparison } from '@/lib/server/comparisons.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const HINT = 'Fields: resultId (a result id), precisions (optional, e.g. ["bf16", "fp16", "fp16-safe", "fp32"]; default ["bf16", "fp16"]).';

export const POST = handle(async (request: Request) => {
  const body = await readJson(request, comparisonBodySchema, HINT);
  const comparison = await createComparison(body);
  const url = comparisonUrl(comparison.id);
  return json({ comparison, url }, { status: 201, headers: { Location: url } });
});
