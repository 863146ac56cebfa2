// GET /api/uploads/:id/image.png: a stored upload as the PNG the studio encoded (never the uploaded bytes), served
// as an image only (nosniff, no HTML), for the studio's preview and mask editor.
import { handle } from '@/lib/http.ts';
import { StudioError } from '@/lib/errors.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const png = getStudio().uploads.png(id);
  if (!png) throw new StudioError('upload_not_found', `No upload ${id}.`, 'Upload the image again (POST /api/uploads).');
  return new Response(Buffer.from(png), { headers: { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff', 'Content-Disposition': 'inline' } });
});
