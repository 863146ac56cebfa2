// GET /api/results/:id/image.png[?meta=0][&download=1]: the PNG as the engine wrote it, or re-encoded without
// metadata. The `.png` suffix makes saved links and Open Graph scrapers see an image URL.
import { handle } from '@/lib/http.ts';
import { imageResponse } from '@/lib/server/images.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  return imageResponse(request, id, 'full');
});
