// Serves a saved result's PNG: byte for byte with the engine's metadata, without its text chunks (?meta=0), or the
// gallery thumbnail (a small JPEG; a PNG for results saved before); as a download when asked. Deliberately reads only files named by a validated result id, through
// the store (which refuses symlinks), and accepts no query parameter besides meta and download.
import { imageQuerySchema } from '../api/results-query.ts';
import { StudioError } from '../errors.ts';
import { pathId, readQuery } from '../http.ts';
import { isJpeg } from '../jpeg.ts';
import { decode } from 'fast-png';
import { encodeJpeg } from '../jpeg.ts';
import { stripPngMetadata } from '../png.ts';
import { downloadName } from '../results.ts';
import { getStudio } from './studio.ts';

export type ImageVariant = 'full' | 'thumbnail' | 'og';

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
    bytes = await store.readImage(id, variant === 'thumbnail' ? 'thumbnail' : 'full');
  } catch {
    throw new StudioError(
      'image_missing',
      `The image file of result ${id} is missing from ${store.imagesDir}. It was removed outside the studio; generate it again from its settings.`,
    );
  }
  if (variant === 'full' && !withMetadata) bytes = stripPngMetadata(bytes);
  if (variant === 'og') bytes = await openGraphJpeg(bytes);
  const headers: Record<string, string> = {
    // Thumbnails are JPEG since issue 18 (older results keep their PNG ones); full images are always the engine's PNG.
    'Content-Type': isJpeg(bytes) ? 'image/jpeg' : 'image/png',
    'Content-Length': String(bytes.byteLength),
    // Results never change once saved, so browsers and proxies may keep them.
    'Cache-Control': 'public, max-age=31536000, immutable',
  };
  if (query.download === '1') {
    headers['Content-Disposition'] = `attachment; filename="${downloadName(record, withMetadata)}"`;
  }
  return new Response(new Uint8Array(bytes), { headers });
}

/** Longest side of the Open Graph image: link previews show at most ~1200 px wide. */
export const OG_MAX_SIDE = 1200;

/**
 * The share page's Open Graph image: the PNG's pixels at most 1200 px on the longer side, JPEG quality 82 (a
 * 2048² PNG of several MB becomes ~200 KB), made when asked (crawlers fetch it once) and cached by the client.
 */
function openGraphJpeg(png: Uint8Array): Promise<Uint8Array> {
  const image = decode(png);
  const channels = image.channels;
  const data = image.data as Uint8Array;
  const rgb = channels === 3 ? data : new Uint8Array(image.width * image.height * 3).map((_, index) => data[Math.floor(index / 3) * channels + (index % 3)]);
  return encodeJpeg(rgb, image.width, image.height, 82, OG_MAX_SIDE);
}

export { notFound as resultNotFound };
