// GET /api/results/:id/og.jpg: the share page's Open Graph image, a JPEG at most 1200 px on the longer side (the
// full PNG is served at /image.png).
import { handle } from '@/lib/http.ts';
import { imageResponse } from '@/lib/server/images.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  return imageResponse(request, id, 'og');
});
