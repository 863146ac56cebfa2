// GET /v1/models: the converted models in OpenAI's list shape; an id from here is what `model` takes in
// /v1/images/generations (OpenAI's own names, such as gpt-image-1, mean the studio's default model).
import { openAiModels } from '@/lib/api/openai.ts';
import { handle, json } from '@/lib/http.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(openAiModels(await getStudio().engine.models())), 'openai');
