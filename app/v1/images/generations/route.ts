// POST /v1/images/generations: OpenAI-compatible image generation (official openai clients work with baseURL
// pointed at <server>/v1). Makes n images (seeds counting up), waits for them and answers with each as b64_json in
// the asked output_format, or as a URL of the stored PNG. Errors come in OpenAI's shape.
import { OPENAI_HINT, openAiImageRequestSchema, openAiPlan, openAiResponse, type OpenAiMade } from '@/lib/api/openai.ts';
import { handle, json, publicOrigin, readJson } from '@/lib/http.ts';
import { imageUrl } from '@/lib/results.ts';
import { generateEach } from '@/lib/server/batch.ts';
import { encodeImage } from '@/lib/server/image-encode.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const plan = openAiPlan(await readJson(request, openAiImageRequestSchema, OPENAI_HINT));
  const records = await generateEach(plan.images, request.signal);
  const { env, store } = getStudio();
  const origin = publicOrigin(request.headers, env.PUBLIC_URL);
  const made: OpenAiMade[] = [];
  for (const record of records) {
    const bytes = plan.responseFormat === 'b64_json' ? await encodeImage(await store.readImage(record.id), plan.format, plan.compression) : new Uint8Array();
    made.push({ id: record.id, seed: record.request.seed, bytes, url: `${origin}${imageUrl(record.id)}` });
  }
  return json(openAiResponse(plan, made, new Date(records[0].createdAt)));
}, 'openai');
