// Reading an image file from a request: the raw body (Content-Type image/png, image/jpeg, image/webp or
// application/octet-stream) or one field of a multipart/form-data body (as browsers and OpenAI's clients send
// files), size-capped while it streams in. Server-only; it deliberately does not decode (lib/images/decode.ts does).
import { StudioError } from '../errors.ts';
import { mediaType, readCappedBody } from '../http.ts';
import { MAX_IMAGE_BODY_BYTES } from '../api/routes.ts';

/** The whole body, refused past `limit` bytes as it streams (a false Content-Length changes nothing). */
export function readBodyBytes(request: Request, limit = MAX_IMAGE_BODY_BYTES): Promise<Uint8Array> {
  return readCappedBody(request, limit, () =>
    new StudioError('body_too_large', `The body is over ${limit} bytes, the limit for image requests.`, 'Send a smaller image (JPEG or WebP), at most 20 MiB.'));
}

/** A multipart body's fields: files as bytes, the rest as strings. */
export async function readMultipart(request: Request, limit = MAX_IMAGE_BODY_BYTES): Promise<{ files: Map<string, Uint8Array>; fields: Map<string, string> }> {
  const bytes = await readBodyBytes(request, limit);
  let form: FormData;
  try {
    form = await new Response(Buffer.from(bytes), { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
  } catch {
    throw new StudioError('invalid_multipart', 'The multipart/form-data body cannot be parsed.', 'Send the file as a form field (curl -F image=@photo.png) with its boundary in the Content-Type.');
  }
  const files = new Map<string, Uint8Array>(), fields = new Map<string, string>();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields.set(name, value);
    else files.set(name, new Uint8Array(await value.arrayBuffer()));
  }
  return { files, fields };
}

const RAW_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream']);

/** One image file from a raw body or the multipart field `field`. */
export async function readImageFile(request: Request, field = 'image'): Promise<Uint8Array> {
  const type = mediaType(request);
  if (type === 'multipart/form-data') {
    const { files } = await readMultipart(request);
    const file = files.get(field) ?? files.get(`${field}[]`);
    if (!file) throw new StudioError('missing_image', `The form has no file field "${field}".`, `Send it as curl -F ${field}=@photo.png.`);
    return file;
  }
  if (!RAW_TYPES.has(type)) {
    throw new StudioError('unsupported_media_type', `Send the image as the raw body (Content-Type image/png, image/jpeg, image/webp) or as multipart/form-data (got ${JSON.stringify(type || 'none')}).`);
  }
  return readBodyBytes(request);
}
