// POST /api/uploads: one PNG, JPEG or WebP image (raw body or multipart field "image"; ?kind=mask for a mask,
// white = repaint) decoded with limits and stored in DATA_DIR/uploads as our own PNG. Answers 201 with its id, size,
// hash and the model size it will be worked at. A hostile or broken file gets a 4xx and nothing is stored.
import { handle, json } from '@/lib/http.ts';
import { modelSize } from '@/lib/images/decode.ts';
import { storeUpload } from '@/lib/images/uploads.ts';
import { readImageFile } from '@/lib/images/upload-body.ts';
import { StudioError } from '@/lib/errors.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const kind = new URL(request.url).searchParams.get('kind') ?? 'image';
  if (kind !== 'image' && kind !== 'mask') throw new StudioError('invalid_query', `kind must be "image" or "mask" (got ${JSON.stringify(kind.slice(0, 20))}).`);
  const info = await storeUpload(getStudio().uploads, await readImageFile(request), kind);
  return json({ ...info, url: `/api/uploads/${info.id}/image.png`, modelSize: modelSize(info.width, info.height) }, { status: 201 });
});
