// GET /api/models/:id/audit?precision=: the load-time audit of one converted precision of a model — per component the
// weights' dtype by bytes, the dtype the heavy ops compute in, and the parts kept in fp32 on purpose, by name.
import { auditQuerySchema, MODEL_ID_PATTERN } from '@/lib/api/evidence-schemas.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json, readQuery } from '@/lib/http.ts';
import { modelAudit } from '@/lib/server/audit.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  if (!MODEL_ID_PATTERN.test(id)) {
    throw new StudioError('invalid_id', 'That is not a model id: model ids are folder names under WEIGHTS_DIR, as GET /api/system lists them.');
  }
  const { precision } = readQuery(request, auditQuerySchema);
  return json({ audit: await modelAudit(id, precision) });
});
