// GET /api/results/:id/source.png: the source image a result was made from (img2img, inpainting, vary, upscale),
// for its share page; reachable by whoever holds the result id, like the result's own image. 404 for a text-to-image
// result.
import { handle } from '@/lib/http.ts';
import { StudioError } from '@/lib/errors.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const { store, uploads } = getStudio();
  const record = store.get(id);
  const ref = record?.request.image?.sourceRef;
  const png = !ref ? undefined : ref.kind === 'upload' ? uploads.png(ref.id) : store.get(ref.id) && (await store.readImage(ref.id).catch(() => undefined));
  if (!png) throw new StudioError('source_not_found', record ? 'This result has no stored source image (text to image, or the source was deleted).' : `No result ${id}.`);
  return new Response(Buffer.from(png), { headers: { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' } });
});
