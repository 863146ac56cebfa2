// GET /api/results/:id/thumbnail: the gallery thumbnail (longer side 384 px, no metadata), a small JPEG (a PNG for
// results saved before JPEG thumbnails); its Content-Type says which. /thumbnail.png stays for links made before.
import { handle } from '@/lib/http.ts';
import { imageResponse } from '@/lib/server/images.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (request: Request, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  return imageResponse(request, id, 'thumbnail');
});
