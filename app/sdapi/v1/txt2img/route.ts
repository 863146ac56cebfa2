// POST /sdapi/v1/txt2img: AUTOMATIC1111-compatible text-to-image for tools that speak the A1111 API. Takes A1111's
// whole request model (fields that change nothing here are listed in info.ignored), runs batch_size × n_iter images
// and answers { images: [base64 PNG…], parameters, info } with info as a JSON string, as A1111 does.
import { z } from 'zod';
import { a1111Plan, a1111Response, readTxt2Img } from '@/lib/api/a1111.ts';
import { handle, json, publicOrigin, readJson } from '@/lib/http.ts';
import { resolveCheckpoint, runA1111 } from '@/lib/server/a1111-session.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  const reading = readTxt2Img(await readJson(request, z.unknown()));
  const plan = a1111Plan(reading, await resolveCheckpoint(reading.checkpoint, 'override_settings.sd_model_checkpoint'));
  const run = await runA1111(plan, request.signal, publicOrigin(request.headers, getStudio().env.PUBLIC_URL));
  return json(a1111Response(run.made, reading, { interrupted: run.interrupted, skipped: run.skipped }));
});
