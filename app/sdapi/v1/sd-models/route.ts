// GET /sdapi/v1/sd-models: the converted models as A1111 checkpoints; the title (the model id) is what clients send
// back as sd_model_checkpoint. Scanned on every call, so a model converted while the server runs appears.
import { sdModels } from '@/lib/api/a1111-surface.ts';
import { handle, json } from '@/lib/http.ts';
import { checkpoints } from '@/lib/server/a1111-session.ts';
import { toModelInfo } from '@/lib/system.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(sdModels((await checkpoints()).models.map(toModelInfo))));
