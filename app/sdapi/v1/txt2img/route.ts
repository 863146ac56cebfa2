// POST /sdapi/v1/txt2img: AUTOMATIC1111-compatible text-to-image for tools that speak the A1111 API.
// Waits for the job and answers { images: [base64 PNG], parameters, info } with info as a JSON string.
import { A1111_HINT, a1111Response, a1111ToParams, a1111Txt2ImgSchema } from '@/lib/api/a1111.ts';
import { handle, json, publicOrigin, readJson } from '@/lib/http.ts';
import { shareUrl } from '@/lib/results.ts';
import { readPngText } from '@/lib/engine/index.ts';
import { generateAndWait, getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const body = await readJson(request, a1111Txt2ImgSchema, A1111_HINT);
  const record = await generateAndWait(a1111ToParams(body), request.signal);
  const { env, store } = getStudio();
  const png = await store.readImage(record.id);
  // The engine writes A1111's `parameters` text chunk; A1111 clients expect the same text in info.infotexts.
  const infotext = (await readPngText(png)).parameters;
  const share = `${publicOrigin(request.headers, env.PUBLIC_URL)}${shareUrl(record.id)}`;
  return json(a1111Response(record, png, infotext, share));
});
