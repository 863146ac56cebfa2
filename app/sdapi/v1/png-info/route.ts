// POST /sdapi/v1/png-info: {image: base64 PNG} → A1111's parameters text as info, parsed into parameters, and every
// other text chunk (the studio's own zimage-studio JSON among them) as items.
import { z } from 'zod';
import { decodeBase64Image, pngInfoView } from '@/lib/api/a1111-surface.ts';
import { readPngText } from '@/lib/engine/index.ts';
import { handle, json, readJson } from '@/lib/http.ts';
import { StudioError } from '@/lib/errors.ts';
import { MAX_IMAGE_BODY_BYTES } from '@/lib/api/routes.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const pngInfoSchema = z.object({ image: z.string({ error: 'image is required: a base64-encoded PNG.' }) });

export const POST = handle(async (request: Request) => {
  const { image } = await readJson(request, pngInfoSchema, undefined, MAX_IMAGE_BODY_BYTES);
  const bytes = decodeBase64Image('image', image);
  let text: Record<string, string>;
  try {
    text = await readPngText(bytes);
  } catch (error) {
    throw new StudioError('invalid_request', `image: ${(error as Error).message}. Send a PNG (A1111 reads JPEG and WebP EXIF too; this studio reads PNG text chunks only).`);
  }
  return json(pngInfoView(text));
});
