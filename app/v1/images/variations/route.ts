// POST /v1/images/variations: OpenAI-compatible variation (multipart: image, n, size, response_format, …): image to
// image of the upload at strength 0.6 with a new seed. OpenAI sends no prompt: a PNG this studio made brings its
// own (from its `parameters` chunk); otherwise the `prompt` extra, else a neutral prompt.
import { OPENAI_EDITS_HINT, openAiEditToParams } from '@/lib/api/openai-edits.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json, mediaType } from '@/lib/http.ts';
import { modelSize } from '@/lib/images/decode.ts';
import { readMultipart } from '@/lib/images/upload-body.ts';
import { storeUpload } from '@/lib/images/uploads.ts';
import { readPngText } from '@/lib/engine/index.ts';
import { hasPngSignature } from '@/lib/png.ts';
import { openAiImageAnswer } from '@/lib/server/openai-image-answer.ts';
import { generateAndWait, getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  if (mediaType(request) !== 'multipart/form-data') throw new StudioError('unsupported_media_type', 'Send multipart/form-data, as OpenAI\'s clients do.', OPENAI_EDITS_HINT);
  const { files, fields } = await readMultipart(request);
  const imageFile = files.get('image');
  if (!imageFile) throw new StudioError('missing_image', 'The form has no "image" file.', OPENAI_EDITS_HINT);
  const { uploads } = getStudio();
  const image = await storeUpload(uploads, imageFile, 'image');
  // the first line of A1111's parameters text is the prompt (decoded only after the file passed the upload checks)
  const stored = hasPngSignature(imageFile) ? (await readPngText(imageFile).catch(() => ({}) as Record<string, string>)).parameters?.split('\n')[0] : undefined;
  const params = openAiEditToParams({ fields, image: image.id, imageSize: modelSize(image.width, image.height) }, 'variation', stored || undefined);
  const record = await generateAndWait(params, request.signal);
  return json(await openAiImageAnswer(request, fields, record));
}, 'openai');
