// POST /api/tokens {"text": "…"}: how many tokens the text encoder reads for this prompt (the chat template
// included) against its 512-token limit, and how many a longer one loses; for the live count under the prompt.
import { z } from '@/lib/zod.ts';
import { countPromptTokens } from '@/lib/engine/index.ts';
import { handle, json, readJson } from '@/lib/http.ts';
import { PROMPT_MAX_CHARS } from '@/lib/params.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const tokensBodySchema = z.strictObject({
  text: z.string({ error: 'text must be the prompt as a string.' }).max(PROMPT_MAX_CHARS, `text is over ${PROMPT_MAX_CHARS} characters, the prompt limit.`),
});

export const POST = handle(async (request: Request) => {
  const { text } = await readJson(request, tokensBodySchema, 'Send {"text": "your prompt"}.');
  return json(await countPromptTokens(text));
});
