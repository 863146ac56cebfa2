// GET /sdapi/v1/loras: AUTOMATIC1111's list of LoRAs — name, alias, path and the file's own metadata — for tools
// that speak the A1111 API (they then write <lora:NAME:WEIGHT> in prompts). Files that cannot be applied are left out
// here; GET /api/loras lists them with the reason.
import { handle, json } from '@/lib/http.ts';
import { listLoraFiles } from '@/lib/engine/index.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const loras = await listLoraFiles(getStudio().env.WEIGHTS_DIR);
  return json(loras.filter((l) => !l.problem).map(({ name, alias, path, metadata }) => ({ name, alias, path, metadata })));
});
