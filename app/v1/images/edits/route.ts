// POST /v1/images/edits: OpenAI-compatible image edit (multipart: image, optional mask, prompt, …). The mask's
// transparent pixels are repainted (inpainting); without a mask, the image's own transparency; without either, image
// to image of the whole picture. Waits for the job and answers like /v1/images/generations.
import { OPENAI_EDITS_HINT, openAiEditToParams } from '@/lib/api/openai-edits.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json, mediaType } from '@/lib/http.ts';
import { modelSize } from '@/lib/images/decode.ts';
import { readMultipart } from '@/lib/images/upload-body.ts';
import { storeUpload } from '@/lib/images/uploads.ts';
import { openAiImageAnswer } from '@/lib/server/openai-image-answer.ts';
import { generateAndWait, getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  if (mediaType(request) !== 'multipart/form-data') throw new StudioError('unsupported_media_type', 'Send multipart/form-data, as OpenAI\'s clients do.', OPENAI_EDITS_HINT);
  const { files, fields } = await readMultipart(request);
  const imageFile = files.get('image') ?? files.get('image[]');
  if (!imageFile) throw new StudioError('missing_image', 'The form has no "image" file.', OPENAI_EDITS_HINT);
  const { uploads } = getStudio();
  const image = await storeUpload(uploads, imageFile, 'image');
  const maskFile = files.get('mask');
  const mask = maskFile ? (await storeUpload(uploads, maskFile, 'mask', 'alpha')).id : image.hasAlpha ? image.id : undefined;
  const params = openAiEditToParams({ fields, image: image.id, mask, imageSize: modelSize(image.width, image.height) }, 'edit');
  const record = await generateAndWait(params, request.signal);
  return json(await openAiImageAnswer(request, fields, record));
}, 'openai');
