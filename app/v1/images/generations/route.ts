// POST /v1/images/generations: OpenAI-compatible image generation (official openai clients work with baseURL
// pointed at <server>/v1). Waits for the job and answers with the PNG as b64_json or a URL.
import { OPENAI_HINT, openAiImageRequestSchema, openAiResponse, openAiToParams } from '@/lib/api/openai.ts';
import { handle, json, publicOrigin, readJson } from '@/lib/http.ts';
import { imageUrl } from '@/lib/results.ts';
import { generateAndWait, getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const body = await readJson(request, openAiImageRequestSchema, OPENAI_HINT);
  const record = await generateAndWait(openAiToParams(body), request.signal);
  const { env, store } = getStudio();
  const format = body.response_format ?? 'b64_json';
  const png = format === 'b64_json' ? await store.readImage(record.id) : new Uint8Array();
  const url = `${publicOrigin(request.headers, env.PUBLIC_URL)}${imageUrl(record.id)}`;
  return json(openAiResponse(format, { png, url }, new Date(record.createdAt)));
});
