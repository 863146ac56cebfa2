// Serves a saved result's PNG: byte for byte with the engine's metadata, re-encoded without it (?meta=0), or the
// gallery thumbnail; as a download when asked. Deliberately reads only files named by a validated result id.
import fs from 'node:fs';
import { StudioError } from '../errors.ts';
import { stripPngMetadata } from '../png.ts';
import { downloadName, isResultId } from '../results.ts';
import { getStudio } from './studio.ts';

export type ImageVariant = 'full' | 'thumbnail';

function notFound(id: string): StudioError {
  return new StudioError(404, 'result_not_found', `No result ${id}. It was deleted, or the link is mistyped; check the share link.`);
}

export async function imageResponse(id: string, url: URL, variant: ImageVariant): Promise<Response> {
  const { store } = getStudio();
  const record = isResultId(id) ? store.get(id) : undefined;
  if (!record) throw notFound(id);
  const withMetadata = url.searchParams.get('meta') !== '0';
  const path = variant === 'thumbnail' ? store.thumbnailPath(id) : store.imagePath(id);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(path);
  } catch {
    throw new StudioError(
      410,
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
  if (url.searchParams.get('download') === '1') {
    headers['Content-Disposition'] = `attachment; filename="${downloadName(record, withMetadata)}"`;
  }
  return new Response(new Uint8Array(bytes), { headers });
}

export { notFound as resultNotFound };
