// Serves a saved result's PNG: byte for byte with the engine's metadata, re-encoded without it (?meta=0), or the
// gallery thumbnail; as a download when asked. Deliberately reads only files named by a validated result id, through
// the store (which refuses symlinks), and accepts no query parameter besides meta and download.
import { imageQuerySchema } from '../api/results-query.ts';
import { StudioError } from '../errors.ts';
import { pathId, readQuery } from '../http.ts';
import { stripPngMetadata } from '../png.ts';
import { downloadName } from '../results.ts';
import { getStudio } from './studio.ts';

export type ImageVariant = 'full' | 'thumbnail';

function notFound(id: string): StudioError {
  return new StudioError('result_not_found', `No result ${id}. It was deleted, or the link is mistyped; check the share link.`);
}

export async function imageResponse(request: Request, id: string, variant: ImageVariant): Promise<Response> {
  const query = readQuery(request, imageQuerySchema);
  const { store } = getStudio();
  const record = store.get(pathId('result', id));
  if (!record) throw notFound(id);
  const withMetadata = query.meta !== '0';
  let bytes: Uint8Array;
  try {
    bytes = await store.readImage(id, variant);
  } catch {
    throw new StudioError(
      'image_missing',
      `The image file of result ${id} is missing from ${store.imagesDir}. It was removed outside the studio; generate it again from its settings.`,
    );
  }
  if (variant === 'full' && !withMetadata) bytes = stripPngMetadata(bytes);
  const headers: Record<string, string> = {
    'Content-Type': 'image/png',
    'Content-Length': String(bytes.byteLength),
    // Results never change once saved, so browsers and proxies may keep them.
    'Cache-Control': 'public, max-age=31536000, immutable',
  };
  if (query.download === '1') {
    headers['Content-Disposition'] = `attachment; filename="${downloadName(record, withMetadata)}"`;
  }
  return new Response(new Uint8Array(bytes), { headers });
}

export { notFound as resultNotFound };
