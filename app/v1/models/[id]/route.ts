// GET /v1/models/:id: one model in OpenAI's shape (the SDK's models.retrieve), or a 404 in OpenAI's error shape.
import { openAiModel } from '@/lib/api/openai.ts';
import { StudioError } from '@/lib/errors.ts';
import { handle, json } from '@/lib/http.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const models = await getStudio().engine.models();
  const model = models.find((entry) => entry.id === id);
  if (!model) {
    throw new StudioError(404, 'unknown_model', `The model "${id.slice(0, 100)}" does not exist. Available: ${models.map((entry) => entry.id).join(', ')} (GET /v1/models).`);
  }
  return json(openAiModel(model));
}, 'openai');
