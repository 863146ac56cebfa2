// GET /api/loras: the LoRA files under WEIGHTS_DIR/loras for the studio's picker — name, alias, size, what the file
// says about itself (trigger words, base model, rank, trainer), what its keys say (format, modules), and why a file
// cannot be applied when it cannot. Deliberately without the raw metadata (GET /sdapi/v1/loras has it) or the
// server's paths.
import { handle, json } from '@/lib/http.ts';
import { listLoraFiles } from '@/lib/engine/index.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const loras = await listLoraFiles(getStudio().env.WEIGHTS_DIR);
  return json({ loras: loras.map(({ name, alias, bytes, modifiedAt, info, formats, modules, problem }) => ({ name, alias, bytes, modifiedAt, info, formats, modules, ...(problem && { problem }) })) });
});
