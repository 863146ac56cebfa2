// POST /sdapi/v1/img2img: AUTOMATIC1111-compatible image to image and inpainting. The base64 init image (and mask)
// are decoded with the upload limits and stored like uploads (so the result records its source), then the job runs
// as the studio's and answers { images, parameters, info } as txt2img does.
import { A1111_IMG2IMG_HINT, a1111Img2ImgChecks, a1111Img2ImgSchema, a1111Img2ImgToParams, decodeBase64Image } from '@/lib/api/a1111-img2img.ts';
import { a1111Response } from '@/lib/api/a1111.ts';
import { MAX_IMAGE_BODY_BYTES } from '@/lib/api/routes.ts';
import { handle, json, publicOrigin, readJson } from '@/lib/http.ts';
import { modelSize } from '@/lib/images/decode.ts';
import { storeUpload } from '@/lib/images/uploads.ts';
import { shareUrl } from '@/lib/results.ts';
import { readPngText } from '@/lib/engine/index.ts';
import { generateAndWait, getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const body = await readJson(request, a1111Img2ImgSchema, A1111_IMG2IMG_HINT, MAX_IMAGE_BODY_BYTES);
  const resizeMode = a1111Img2ImgChecks(body);
  const { env, store, uploads } = getStudio();
  const source = await storeUpload(uploads, decodeBase64Image('init_images[0]', body.init_images[0]), 'image');
  const mask = body.mask ? await storeUpload(uploads, decodeBase64Image('mask', body.mask), 'mask') : undefined;
  const params = a1111Img2ImgToParams(body, { source: source.id, mask: mask?.id, size: modelSize(source.width, source.height) }, resizeMode);
  const record = await generateAndWait(params, request.signal);
  const png = await store.readImage(record.id);
  const infotext = (await readPngText(png)).parameters;
  const share = `${publicOrigin(request.headers, env.PUBLIC_URL)}${shareUrl(record.id)}`;
  const answer = a1111Response([{ record, png, infotext, shareUrl: share }], { batchSize: 1, nIter: 1, sendImages: true, ignored: [] });
  return json({ ...answer, parameters: { ...answer.parameters, denoising_strength: params.image?.strength, mask_blur: params.image?.maskBlur, inpaint_full_res: Boolean(params.image?.onlyMasked), resize_mode: resizeMode } });
});
